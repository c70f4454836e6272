// Creator analytics: the account overview (views per day, follower growth, traffic by
// feed, top videos) and one video's report (retention curve with the average watch time,
// views per day, traffic by feed). Charts are inline SVG built element by element with
// dom.svg: no library, no HTML strings, nothing the Content-Security-Policy forbids. Each
// chart is an image with a text summary for screen readers, and its numbers are also in a
// visually hidden table.

import { h, svg, icon, clear } from '../dom.js';
import { emptyState, spinner } from '../ui.js';
import { validVideoID } from '../text.js';
import { count, duration } from '../format.js';

const WINDOWS = [7, 28, 90];

const FEEDS = {
  for_you: 'For You', following: 'Following', trending: 'Trending', profile: 'Profiles', hashtag: 'Hashtags',
  search: 'Search', direct: 'Direct links', other: 'Other',
};

const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const pctFmt = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 });

// day formats a UTC day given as YYYY-MM-DD.
function day(iso) {
  const t = Date.parse(`${iso}T00:00:00Z`);
  return Number.isFinite(t) ? dayFmt.format(t) : String(iso);
}

function pct(x) {
  return pctFmt.format(Math.max(0, Number(x) || 0));
}

// watchTime says a total watch time the way people do: 45s, 3m 12s, 2h 5m.
export function watchTime(ms) {
  const s = Math.max(0, Math.round((Number(ms) || 0) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function num(v) {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

export function analyticsView(ctx, route) {
  const videoID = route.query.get('video') || '';
  const asked = Number(route.query.get('days'));
  const days = WINDOWS.includes(asked) ? asked : 28;
  const here = `/analytics${videoID ? `?video=${encodeURIComponent(videoID)}` : ''}`;
  if (!ctx.session.loggedIn) {
    queueMicrotask(() => ctx.router.navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true }));
    return { el: h('div', { class: 'page' }, spinner()), title: 'Analytics' };
  }
  const body = h('div', { class: 'an-body', 'aria-live': 'polite' }, spinner('Loading analytics'));
  const title = h('h1', { class: 'page-title', id: 'page-title', tabindex: '-1' }, videoID ? 'Video analytics' : 'Analytics');
  const page = h('div', { class: 'page analytics' },
    h('header', { class: 'page-head an-head' },
      h('div', { class: 'an-head-text' },
        videoID ? h('a', { class: 'an-back', href: `/analytics?days=${days}` }, icon('back'), 'All your videos') : null,
        title),
      windowPicker(ctx, videoID, days)),
    body);
  const view = { el: page, title: 'Analytics' };
  if (videoID && !validVideoID(videoID)) {
    clear(body).append(notAvailable());
    return view;
  }
  const path = videoID ? `/videos/${encodeURIComponent(videoID)}/analytics?days=${days}` : `/me/analytics?days=${days}`;
  ctx.api.get(path).then((data) => {
    W = window.matchMedia('(max-width: 600px)').matches ? 360 : 640;
    clear(body).append(...(videoID ? videoReport(data) : overview(data)));
    if (videoID) ctx.setTitle(`Analytics · ${data.video && data.video.caption ? data.video.caption.slice(0, 40) : 'video'}`);
  }).catch((e) => {
    clear(body).append(e.status === 404 && !e.missingEndpoint ? notAvailable()
      : emptyState({ iconName: 'info', title: "Couldn't load analytics", text: e.message }));
  });
  return view;
}

function notAvailable() {
  return emptyState({ iconName: 'chart', title: 'No analytics for this video',
    text: 'Only a video’s creator can see its analytics, and a deleted video has none.',
    action: h('a', { class: 'btn btn--secondary', href: '/analytics' }, 'Your analytics') });
}

// windowPicker switches between 7, 28 and 90 days; the choice lives in the URL.
function windowPicker(ctx, videoID, days) {
  return h('div', { class: 'an-windows', role: 'group', 'aria-label': 'Period' },
    WINDOWS.map((n) => {
      const q = new URLSearchParams();
      if (videoID) q.set('video', videoID);
      q.set('days', String(n));
      return h('a', { class: ['an-window', n === days && 'is-active'], href: `/analytics?${q}`, 'aria-current': n === days ? 'true' : undefined,
        'data-days': String(n) }, `${n} days`);
    }));
}

function stats(items) {
  return h('dl', { class: 'an-stats' }, items.map(([key, label, value, note]) =>
    h('div', { class: 'an-stat' },
      h('dt', { class: 'an-stat-label' }, label),
      h('dd', { class: 'an-stat-value', 'data-stat': key }, value),
      note ? h('dd', { class: 'an-stat-note' }, note) : null)));
}

function section(id, heading, ...content) {
  return h('section', { class: 'card an-card', 'aria-labelledby': `${id}-title` },
    h('h2', { class: 'section-title', id: `${id}-title` }, heading), content);
}

function overview(d) {
  const t = d.totals || {};
  const f = d.followers || {};
  const perDay = Array.isArray(d.per_day) ? d.per_day : [];
  const range = `${day(d.from)} – ${day(d.to)}`;
  const net = num(f.net);
  return [
    h('p', { class: 'an-range muted' }, `Last ${d.days} days, ${range} (UTC)`),
    stats([
      ['views', 'Views', count(t.views)],
      ['watch_time', 'Watch time', watchTime(t.watch_ms)],
      ['avg_watch', 'Average watch time', duration(num(t.avg_watch_ms) / 1000), `over ${count(t.plays)} plays`],
      ['followers', 'New followers', `${net > 0 ? '+' : ''}${net}`, `${num(f.gained)} gained, ${num(f.lost)} lost`],
      ['likes', 'Likes', count(Math.max(0, num(t.likes)))],
      ['comments', 'Comments', count(t.comments)],
      ['shares', 'Shares', count(t.shares)],
    ]),
    section('an-views', 'Views per day', barChart({ id: 'chart-views', days: perDay, key: 'views', unit: 'views' })),
    section('an-followers', 'Follower growth', followerChart(perDay)),
    section('an-traffic', 'Where plays came from', trafficChart(d.traffic)),
    section('an-top', 'Top videos', topVideos(d.top_videos, d.days)),
  ];
}

function videoReport(d) {
  const t = d.totals || {};
  const v = d.video || {};
  const dur = num(v.duration_ms);
  const perDay = Array.isArray(d.per_day) ? d.per_day : [];
  return [
    h('div', { class: 'an-video' },
      h('p', { class: 'an-video-caption', id: 'an-video-caption' }, v.caption || 'Untitled video'),
      h('p', { class: 'muted' }, `${duration(dur / 1000)} long · last ${d.days} days, ${day(d.from)} – ${day(d.to)} (UTC) · `,
        h('a', { href: `/v/${v.id}`, class: 'an-watch' }, 'Watch it'))),
    stats([
      ['views', 'Views', count(t.views)],
      ['avg_watch', 'Average watch time', duration(num(t.avg_watch_ms) / 1000), dur > 0 ? `${pct(num(t.avg_watch_ms) / dur)} of the video` : null],
      ['completion', 'Watched to the end', pct(t.completion_rate), `of ${count(t.plays)} plays`],
      ['watch_time', 'Watch time', watchTime(t.watch_ms)],
      ['likes', 'Likes', count(Math.max(0, num(t.likes)))],
      ['comments', 'Comments', count(t.comments)],
      ['shares', 'Shares', count(t.shares)],
    ]),
    section('an-retention', 'Audience retention', retentionChart(d.retention, dur, num(t.avg_watch_ms))),
    section('an-views', 'Views per day', barChart({ id: 'chart-views', days: perDay, key: 'views', unit: 'views' })),
    section('an-traffic', 'Where plays came from', trafficChart(d.traffic)),
  ];
}

// ---------------------------------------------------------------------------------------
// Charts. Each is a figure: the SVG as an image with a summary, and the same numbers as a
// table for screen readers (and for anyone who copies them).

// W is the width the charts are drawn for: narrower on phones, so that their text stays
// legible once the drawing is scaled to the screen.
let W = 640;
const H = 220;
const PAD = { l: 44, r: 12, t: 12, b: 28 };

function figure(id, summary, chart, table) {
  return h('figure', { class: 'an-figure' },
    setLabel(chart, id, summary),
    h('figcaption', { class: 'an-summary' }, summary),
    table);
}

function setLabel(chart, id, summary) {
  chart.setAttribute('id', id);
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', summary);
  return chart;
}

function canvas(height = H) {
  return svg('svg', { class: 'an-chart', viewBox: `0 0 ${W} ${height}`, preserveAspectRatio: 'xMidYMid meet', focusable: 'false' });
}

function dataTable(caption, heads, rows) {
  return h('table', { class: 'visually-hidden' },
    h('caption', null, caption),
    h('thead', null, h('tr', null, heads.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', null, c)))))));
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, so gridlines fall on round numbers.
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function yAxis(g, max, fmt) {
  const plotH = H - PAD.t - PAD.b;
  for (const frac of [0, 0.5, 1]) {
    const y = PAD.t + plotH * (1 - frac);
    g.append(svg('line', { class: frac === 0 ? 'an-axis' : 'an-grid', x1: PAD.l, x2: W - PAD.r, y1: y, y2: y }),
      svg('text', { class: 'an-tick', x: PAD.l - 6, y: y + 4, 'text-anchor': 'end' }, fmt(max * frac)));
  }
}

function xLabels(g, days, xOf) {
  const n = days.length;
  const picks = n <= 7 ? days.map((_, i) => i) : [0, Math.floor((n - 1) / 2), n - 1];
  for (const i of picks) {
    g.append(svg('text', { class: 'an-tick', x: xOf(i), y: H - 8, 'text-anchor': i === 0 && n > 7 ? 'start' : i === n - 1 && n > 7 ? 'end' : 'middle' },
      day(days[i].date)));
  }
}

function barChart({ id, days, key, unit }) {
  const values = days.map((d) => Math.max(0, num(d[key])));
  const total = values.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...values);
  const peakDay = values.indexOf(peak);
  const summary = total === 0
    ? `No ${unit} in these ${days.length} days.`
    : `${count(total)} ${unit} in ${days.length} days; the most, ${count(peak)}, on ${day(days[peakDay].date)}.`;
  const chart = canvas();
  const max = niceMax(peak);
  const plotW = W - PAD.l - PAD.r;
  const plotH = H - PAD.t - PAD.b;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(1, slot * 0.7);
  const xOf = (i) => PAD.l + slot * i + slot / 2;
  yAxis(chart, max, (v) => count(v));
  values.forEach((v, i) => {
    if (v <= 0) return;
    const hgt = (v / max) * plotH;
    const x = xOf(i) - barW / 2;
    const y = PAD.t + plotH - hgt;
    chart.append(svg('path', { class: 'an-bar', 'data-value': String(v), d: `M${x.toFixed(1)} ${(PAD.t + plotH).toFixed(1)}V${y.toFixed(1)}h${barW.toFixed(1)}V${(PAD.t + plotH).toFixed(1)}Z` },
      svg('title', null, `${day(days[i].date)}: ${v} ${unit}`)));
  });
  xLabels(chart, days, xOf);
  return figure(id, summary, chart, dataTable(`${unit[0].toUpperCase()}${unit.slice(1)} per day`, ['Day', unit], days.map((d, i) => [day(d.date), String(values[i])])));
}

// followerChart draws net followers gained since the window began, day by day.
function followerChart(days) {
  let run = 0;
  const series = days.map((d) => { run += num(d.followers_gained) - num(d.followers_lost); return run; });
  const gained = days.reduce((a, d) => a + num(d.followers_gained), 0);
  const lost = days.reduce((a, d) => a + num(d.followers_lost), 0);
  const summary = gained === 0 && lost === 0
    ? `No follower changes in these ${days.length} days.`
    : `${run >= 0 ? '+' : ''}${run} followers in ${days.length} days: ${gained} gained, ${lost} lost.`;
  const chart = canvas();
  const lo = Math.min(0, ...series);
  const hi = Math.max(0, ...series);
  const bottom = lo < 0 ? -niceMax(-lo) : 0;
  const top = hi > 0 ? niceMax(hi) : bottom < 0 ? 0 : 1;
  const plotW = W - PAD.l - PAD.r;
  const plotH = H - PAD.t - PAD.b;
  const xOf = (i) => PAD.l + (days.length <= 1 ? plotW / 2 : (plotW * i) / (days.length - 1));
  const yOf = (v) => PAD.t + plotH * (1 - (v - bottom) / (top - bottom));
  for (const v of [bottom, (bottom + top) / 2, top]) {
    chart.append(svg('line', { class: v === 0 ? 'an-axis' : 'an-grid', x1: PAD.l, x2: W - PAD.r, y1: yOf(v), y2: yOf(v) }),
      svg('text', { class: 'an-tick', x: PAD.l - 6, y: yOf(v) + 4, 'text-anchor': 'end' }, `${v > 0 ? '+' : ''}${Math.round(v)}`));
  }
  if (bottom < 0) chart.append(svg('line', { class: 'an-axis', x1: PAD.l, x2: W - PAD.r, y1: yOf(0), y2: yOf(0) }));
  const pts = series.map((v, i) => `${xOf(i).toFixed(1)} ${yOf(v).toFixed(1)}`);
  if (pts.length) {
    chart.append(svg('path', { class: 'an-area an-area--followers', d: `M${xOf(0).toFixed(1)} ${yOf(0).toFixed(1)}L${pts.join('L')}L${xOf(series.length - 1).toFixed(1)} ${yOf(0).toFixed(1)}Z` }),
      svg('path', { class: 'an-line an-line--followers', d: `M${pts.join('L')}` }));
  }
  xLabels(chart, days, xOf);
  return figure('chart-followers', summary, chart, dataTable('Followers per day', ['Day', 'Gained', 'Lost', 'Net since the start'],
    days.map((d, i) => [day(d.date), String(num(d.followers_gained)), String(num(d.followers_lost)), String(series[i])])));
}

function trafficChart(traffic) {
  const rows = (Array.isArray(traffic) ? traffic : []).filter((r) => num(r.plays) > 0);
  const total = rows.reduce((a, r) => a + num(r.plays), 0);
  const name = (f) => FEEDS[f] || FEEDS.other;
  const summary = total === 0 ? 'No plays in these days.'
    : `${count(total)} plays: ${rows.map((r) => `${name(r.feed)} ${pct(r.share)}`).join(', ')}.`;
  const rowH = 30;
  const height = Math.max(1, rows.length) * rowH + 8;
  const chart = canvas(height);
  const labelW = W < 500 ? 96 : 120;
  const valueW = W < 500 ? 84 : 110;
  const barMax = W - labelW - valueW - PAD.r;
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const wdt = Math.max(2, barMax * Math.min(1, num(r.share)));
    chart.append(
      svg('text', { class: 'an-label', x: labelW - 8, y: y + 19, 'text-anchor': 'end' }, name(r.feed)),
      svg('path', { class: 'an-bar an-bar--feed', 'data-feed': r.feed, 'data-value': String(num(r.plays)),
        d: `M${labelW} ${y + 5}h${wdt.toFixed(1)}v18h${(-wdt).toFixed(1)}Z` }, svg('title', null, `${name(r.feed)}: ${num(r.plays)} plays`)),
      svg('text', { class: 'an-value', x: labelW + wdt + 8, y: y + 19 }, `${pct(r.share)} · ${count(r.plays)} ${num(r.plays) === 1 ? 'play' : 'plays'}`));
  });
  if (!rows.length) chart.append(svg('text', { class: 'an-label', x: W / 2, y: 22, 'text-anchor': 'middle' }, 'No plays yet'));
  return figure('chart-traffic', summary, chart, dataTable('Plays by feed', ['Feed', 'Plays', 'Share'],
    rows.map((r) => [name(r.feed), String(num(r.plays)), pct(r.share)])));
}

// retentionChart draws the share of plays still watching along the video, and marks the
// average watch time.
function retentionChart(retention, durMS, avgMS) {
  const points = retention && Array.isArray(retention.points) ? retention.points : [];
  const plays = retention ? num(retention.plays) : 0;
  const at = (p) => { const q = points.find((x) => x.percent === p); return q ? num(q.share) : 0; };
  const summary = plays === 0
    ? 'No plays yet: the retention curve appears once people watch.'
    : `Of ${count(plays)} plays since upload, ${pct(at(25))} were still watching at a quarter, ${pct(at(50))} at half and ${pct(at(100))} reached the end. Average watch time ${duration(avgMS / 1000)}.`;
  const chart = canvas();
  const plotW = W - PAD.l - PAD.r;
  const plotH = H - PAD.t - PAD.b;
  const xOf = (p) => PAD.l + (plotW * p) / 100;
  const yOf = (s) => PAD.t + plotH * (1 - s);
  yAxis(chart, 1, (v) => pct(v));
  if (plays > 0 && points.length) {
    const pts = points.map((q) => `${xOf(q.percent).toFixed(1)} ${yOf(num(q.share)).toFixed(1)}`);
    chart.append(svg('path', { class: 'an-area', d: `M${xOf(0)} ${yOf(0)}L${pts.join('L')}L${xOf(100)} ${yOf(0)}Z` }),
      svg('path', { class: 'an-line', id: 'retention-line', d: `M${pts.join('L')}` }));
    if (durMS > 0 && avgMS > 0) {
      const x = xOf(Math.min(100, (100 * avgMS) / durMS));
      chart.append(svg('line', { class: 'an-marker', id: 'avg-watch-marker', x1: x, x2: x, y1: PAD.t, y2: PAD.t + plotH }),
        svg('text', { class: 'an-marker-label', x: Math.min(x + 6, W - PAD.r - 70), y: PAD.t + 14 }, `avg ${duration(avgMS / 1000)}`));
    }
  }
  for (const p of [0, 50, 100]) {
    chart.append(svg('text', { class: 'an-tick', x: xOf(p), y: H - 8, 'text-anchor': p === 0 ? 'start' : p === 100 ? 'end' : 'middle' },
      durMS > 0 ? duration((durMS * p) / 100000) : `${p}%`));
  }
  return figure('chart-retention', summary, chart, dataTable('Share of plays still watching', ['Point in the video', 'Still watching'],
    points.map((q) => [`${q.percent}%${durMS > 0 ? ` (${duration((durMS * q.percent) / 100000)})` : ''}`, pct(q.share)])));
}

function topVideos(items, days) {
  const list = Array.isArray(items) ? items.filter((v) => v && validVideoID(v.id)) : [];
  if (!list.length) {
    return h('p', { class: 'muted' }, 'Nobody has watched your videos in these days yet. ',
      h('a', { href: '/upload' }, 'Upload a video'), ' or share one to get started.');
  }
  return h('ol', { class: 'an-top' }, list.map((v) => {
    const t = v.totals || {};
    return h('li', { class: 'an-top-item' },
      h('a', { class: 'an-top-link', href: `/analytics?video=${encodeURIComponent(v.id)}&days=${days}`, 'data-video': v.id },
        h('span', { class: 'an-top-caption' }, v.caption || 'Untitled video'),
        h('span', { class: 'an-top-numbers' },
          h('span', { 'data-stat': 'views' }, `${count(t.views)} views`), ' · ',
          h('span', null, `avg ${duration(num(t.avg_watch_ms) / 1000)}`), ' · ',
          h('span', null, `${count(t.plays)} plays`))));
  }));
}
