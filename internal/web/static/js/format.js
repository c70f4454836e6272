// Numbers and times as people read them: 1.2K likes, 0:42, "3 hours ago".

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function count(n) {
  const v = Number(n);
  return Number.isFinite(v) && v >= 0 ? compact.format(v) : '0';
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function ago(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const sec = Math.round((t - now) / 1000);
  const units = [[60, 1, 'second'], [3600, 60, 'minute'], [86400, 3600, 'hour'], [604800, 86400, 'day'],
    [2629800, 604800, 'week'], [31557600, 2629800, 'month']];
  for (const [below, div, unit] of units) {
    if (Math.abs(sec) < below) return relative.format(Math.round(sec / div), unit);
  }
  return relative.format(Math.round(sec / 31557600), 'year');
}

export function date(iso) {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? dateFmt.format(t) : '';
}

export function dateTime(iso) {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? dateTimeFmt.format(t) : '';
}

export function bytes(n) {
  const v = Number(n) || 0;
  if (v >= 1 << 20) return `${(v / (1 << 20)).toFixed(v >= 10 << 20 ? 0 : 1)} MB`;
  if (v >= 1 << 10) return `${Math.round(v / (1 << 10))} KB`;
  return `${v} bytes`;
}
