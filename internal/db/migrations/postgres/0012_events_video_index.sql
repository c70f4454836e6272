-- No query reads the event log by video: the tailers follow it by seq, histories and
-- erasure find events by account. The index on (video_id, kind) from 0005 only cost a
-- write at a random place of a large b-tree for every event logged, most of the pages an
-- append's commit wrote to the WAL. It holds no data of its own.
DROP INDEX events_video;
