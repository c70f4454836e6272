// Languages as kurz offers them: ISO 639 codes, the same two or three lower-case letters
// the server checks, named by the browser in its own language (Intl.DisplayNames). The
// upload form's "Language" and Settings' "Video language" offer the same list.

const LANGUAGES = ['ar', 'bn', 'de', 'en', 'es', 'fa', 'fr', 'hi', 'id', 'it', 'ja', 'ko', 'nl', 'pl', 'pt', 'ru', 'sv', 'sw', 'th', 'tr', 'uk', 'ur', 'vi', 'zh'];

const CODE = /^[a-z]{2,3}$/;

// browserLanguage is the code of the browser's first language, as the server reads it
// from Accept-Language ("de-CH" gives "de"), or '' when it names none.
export function browserLanguage() {
  const own = (navigator.language || '').toLowerCase().split('-')[0];
  return CODE.test(own) ? own : '';
}

let names;
// languageName is a code's name in the browser's language, or the code itself where the
// browser cannot name it.
export function languageName(code) {
  if (names === undefined) {
    try { names = new Intl.DisplayNames([navigator.language || 'en'], { type: 'language' }); } catch { names = null; }
  }
  try { return (names && names.of(code)) || code; } catch { return code; }
}

// languageOptions are [code, name] pairs sorted by name: the offered languages, the
// browser's own, and any extra codes (one chosen earlier that the list no longer has).
export function languageOptions(...extra) {
  const codes = new Set(LANGUAGES);
  for (const c of [browserLanguage(), ...extra]) if (CODE.test(c || '')) codes.add(c);
  return [...codes].map((c) => [c, languageName(c)]).sort((a, b) => a[1].localeCompare(b[1]));
}
