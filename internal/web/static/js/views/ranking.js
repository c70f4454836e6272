// The public ranking page: how For You chooses and orders videos, from GET /api/v1/ranking
// (the parameters this server runs with, and their weights), in words a viewer can follow.
// Every number on the page comes from the server; the page only explains what each means.

import { h, clear } from '../dom.js';
import { emptyState, spinner } from '../ui.js';

// What each parameter means. kind tells how to show its value: a share of a whole
// (percent), a duration in nanoseconds (Go's time.Duration), a count, or a plain number.
const PARAMS = {
  WatchWeight: { label: 'Watch time', kind: 'number', help: 'How much the predicted share of the video you will watch counts.' },
  LikeWeight: { label: 'Like', kind: 'number', help: 'How much the predicted chance that you like the video counts.' },
  ShareWeight: { label: 'Share', kind: 'number', help: 'How much the predicted chance that you share it counts.' },
  FollowWeight: { label: 'Follow', kind: 'number', help: 'How much the predicted chance that you follow its creator counts.' },

  FollowingCandidates: { label: 'From accounts you follow', kind: 'count', help: 'Their newest videos.' },
  CoEngagementCandidates: { label: 'Liked by people with similar taste', kind: 'count', help: 'Videos that people who enjoyed the same videos as you also enjoyed.' },
  EmbeddingCandidates: { label: 'Similar to what you watched to the end', kind: 'count', help: 'Videos close to your recent favourites in a learned taste space.' },
  HashtagCandidates: { label: 'Hashtags you watch', kind: 'count', help: 'Videos with the hashtags of videos you engaged with.' },
  TrendingCandidates: { label: 'Trending in your language and region', kind: 'count', help: 'What many people who speak your language, then people here, watch and like today (at most half from your language).' },
  PreRankCandidates: { label: 'Fully ranked', kind: 'count', help: 'Of all the videos the sources above bring, this many go on to the full ranking, chosen by a quicker estimate of the same score. Videos from accounts you follow always go on.' },

  PositiveWatchRatio: { label: 'Watched enough to count as interest', kind: 'percent', help: 'Watching this much of a video counts as liking it, even without a like.' },
  SkipWatchRatio: { label: 'Skipped', kind: 'percent', help: 'Leaving before this much of a video counts against similar videos.' },
  RecentPositives: { label: 'Recent favourites used', kind: 'count', help: 'How many of your latest positive engagements steer the suggestions.' },
  RecentNegatives: { label: 'Recent skips and "Not interested" kept', kind: 'count', help: 'These push similar videos down.' },
  WatchedMemory: { label: 'Videos never shown again', kind: 'count', help: 'How many videos you recently watched are left out of For You.' },
  HashtagRepeatPenalty: { label: 'Variety', kind: 'percent', help: 'Each earlier video in your list with the same main hashtag lowers a video\'s score by this much, so one topic does not fill the feed.' },

  TestAudience: { label: 'First audience of a new video', kind: 'count', help: 'Every new video is shown to this many people before it has to earn its reach.' },
  GraduationRate: { label: 'Engagement to reach more people', kind: 'percent', help: 'Completions, likes and shares per view a new video needs after its first audience to be tried with a wider one.' },
  BoostAudience: { label: 'Second, wider audience', kind: 'count', help: 'How many more people a new video that did well is shown to.' },
  ExplorationShare: { label: 'Largest share of new videos', kind: 'percent', help: 'At most this much of a list is new videos being tried.' },
  ExplorationMinShare: { label: 'Smallest share of new videos', kind: 'percent', help: 'At least this much of a list is new videos being tried.' },
  ExplorationHorizon: { label: 'Time to try new videos', kind: 'duration', help: 'The server aims to give the new videos waiting for their audience a turn within this time.' },
  FreshWindow: { label: 'First turn for the newest uploads', kind: 'duration', help: 'For this long after it is published, a new video takes turns for the first new-video place of every list, so it meets its first viewers within minutes.' },

  TrendHalfLife: { label: 'Trending memory', kind: 'duration', help: 'Engagement counts half as much after this long.' },
  TrendingSize: { label: 'Trending list length', kind: 'count', help: 'How many videos each region\'s trending list keeps.' },
};

const WEIGHTS = ['WatchWeight', 'LikeWeight', 'ShareWeight', 'FollowWeight'];
const SOURCES = ['FollowingCandidates', 'CoEngagementCandidates', 'EmbeddingCandidates', 'HashtagCandidates', 'TrendingCandidates', 'PreRankCandidates'];
const SIGNALS = ['PositiveWatchRatio', 'SkipWatchRatio', 'RecentPositives', 'RecentNegatives', 'WatchedMemory', 'HashtagRepeatPenalty'];
const NEW_VIDEOS = ['TestAudience', 'GraduationRate', 'BoostAudience', 'ExplorationMinShare', 'ExplorationShare', 'ExplorationHorizon', 'FreshWindow'];
const TRENDING = ['TrendHalfLife', 'TrendingSize'];

export function rankingView(ctx) {
  const body = h('div', { class: 'ranking-body' }, spinner('Loading the ranking parameters'));
  ctx.api.get('/ranking').then((r) => {
    clear(body).append(...render(r && typeof r === 'object' ? r : {}, ctx));
  }).catch((e) => {
    clear(body).append(emptyState({ iconName: 'info', title: "Couldn't load the ranking parameters", text: e.message }));
  });
  return {
    el: h('div', { class: 'page page--narrow ranking' },
      h('header', { class: 'page-head' }, h('h1', { class: 'page-title', id: 'page-title', tabindex: '-1' }, 'How For You works')),
      body),
    title: 'How For You works',
  };
}

function render(r, ctx) {
  const p = r.parameters && typeof r.parameters === 'object' ? r.parameters : {};
  const out = [];
  if (typeof r.summary === 'string' && r.summary) out.push(h('p', { class: 'ranking-summary', id: 'ranking-summary' }, r.summary));

  const weights = WEIGHTS.filter((k) => typeof p[k] === 'number');
  if (weights.length) {
    const top = Math.max(...weights.map((k) => p[k]), 0) || 1;
    const total = weights.reduce((n, k) => n + Math.max(p[k], 0), 0) || 1;
    out.push(section('ranking-weights', 'What puts a video higher',
      'For each candidate the server predicts what you would do with it, then adds the predictions up with these weights. A higher weight counts more.',
      h('ul', { class: 'weights' }, weights.map((k) => {
        const share = Math.round((Math.max(p[k], 0) / total) * 100);
        const bar = h('span', { class: 'weight-fill' });
        bar.style.setProperty('--w', `${((Math.max(p[k], 0) / top) * 100).toFixed(1)}%`);
        return h('li', { class: 'weight', dataset: { param: k } },
          h('span', { class: 'weight-label' }, PARAMS[k].label),
          h('span', { class: 'weight-bar', role: 'img', 'aria-label': `${PARAMS[k].label}: weight ${num(p[k])}, ${share}% of the total` }, bar),
          h('span', { class: 'weight-value' }, `×${num(p[k])}`),
          h('span', { class: 'weight-help' }, PARAMS[k].help));
      }))));
  }
  out.push(section('ranking-sources', 'Where candidates come from',
    'Before ranking, the server gathers candidates from these sources, at most this many from each.',
    facts(p, SOURCES)));
  out.push(section('ranking-signals', 'What counts as interest', 'Your watching teaches For You; these settings decide how.', facts(p, SIGNALS)));
  out.push(section('ranking-new', 'A fair start for new videos',
    'New videos, also from new creators, are tried with a small audience first, whatever their creator\'s follower count.', facts(p, NEW_VIDEOS)));
  const trend = [];
  if (typeof r.trending === 'string' && r.trending) trend.push(h('p', { class: 'ranking-formula' }, h('span', { class: 'muted' }, 'Score: '), h('code', null, r.trending)));
  out.push(section('ranking-trending', 'Trending', 'The Trending tab, and the regional trends For You draws on.', trend, facts(p, TRENDING)));

  const controls = [
    h('li', null, 'Switch personalisation off in ', h('a', { href: '/settings' }, 'Settings'), ': For You then uses only your region and language, not your activity.'),
    h('li', null, '"Not interested" on a video pushes similar videos down.'),
    h('li', null, '"Why am I seeing this?" on every video says which source brought it to you.'),
  ];
  if (!ctx.session.loggedIn) controls.push(h('li', null, 'Without an account you see a feed based on your region and language only.'));
  out.push(section('ranking-controls', 'Your controls', '', h('ul', { class: 'ranking-controls' }, controls)));

  // Every parameter, including any this page has no words for yet, so nothing is hidden.
  const keys = Object.keys(p).filter((k) => typeof p[k] === 'number' || typeof p[k] === 'string' || typeof p[k] === 'boolean');
  out.push(h('details', { class: 'card ranking-all' },
    h('summary', null, `All ${keys.length} parameters`),
    h('dl', { class: 'params', id: 'ranking-params' }, keys.map((k) => [
      h('dt', null, h('span', null, PARAMS[k] ? PARAMS[k].label : words(k)), h('code', { class: 'param-key' }, k)),
      h('dd', { dataset: { param: k } }, value(k, p[k])),
    ]))));
  return out;
}

function section(id, title, desc, ...content) {
  return h('section', { class: 'card ranking-section', 'aria-labelledby': `${id}-title`, id },
    h('h2', { class: 'section-title', id: `${id}-title` }, title),
    desc ? h('p', { class: 'section-desc' }, desc) : null,
    content);
}

// facts lists the parameters that are present, each with its value and what it means.
function facts(p, keys) {
  const present = keys.filter((k) => p[k] !== undefined);
  if (!present.length) return null;
  return h('dl', { class: 'facts' }, present.map((k) => h('div', { class: 'fact', dataset: { param: k } },
    h('dt', null, PARAMS[k].label),
    h('dd', null, h('strong', { class: 'fact-value' }, value(k, p[k])), h('span', { class: 'fact-help' }, PARAMS[k].help)))));
}

function value(k, v) {
  if (typeof v !== 'number') return String(v);
  switch (PARAMS[k] && PARAMS[k].kind) {
    case 'percent': return `${num(v * 100)}%`;
    case 'duration': return span(v);
    case 'count': return Math.round(v).toLocaleString('en');
    default: return /(After|HalfLife|Horizon)$/.test(k) && v >= 1e9 ? span(v) : num(v);
  }
}

// span writes a duration given in nanoseconds in the largest whole unit that fits.
function span(ns) {
  const s = ns / 1e9;
  const units = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  for (const [name, size] of units) {
    if (s >= size) {
      const n = num(s / size);
      return `${n} ${name}${n === '1' ? '' : 's'}`;
    }
  }
  return `${num(s)} seconds`;
}

function num(v) {
  return Number(v).toLocaleString('en', { maximumFractionDigits: 3 });
}

// words turns a parameter's name into words: "RankerLearningRate" → "Ranker learning rate".
function words(k) {
  const s = String(k).replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
