-- Notifications are kept for --notification-retention (90 days by default); the privacy
-- sweep deletes older ones by age, which this index finds without reading the table.
CREATE INDEX notifications_created ON notifications (created_at);
