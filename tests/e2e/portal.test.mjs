// The citizen booking site in a real browser (RSV-1, RSV-2), run by portal_e2e.cc against the hub's
// site over TLS. Every page and state is checked with axe-core (tags wcag2a and wcag2aa; any
// violation fails with its id, impact and nodes), the key pages again at 320 CSS px and at 200%
// zoom (no horizontal scrolling), the booking form by keyboard only (every control reached, focus
// visible), and a whole booking for two people, its lookup, change and cancel with JavaScript
// disabled.
// Environment: PORTAL_URL (https://localhost:<port>/<municipality>), CHROMIUM, PORTAL_PEOPLE
// (JSON: [{postcard, month, day, manufacture_no}] of the seeded test people), FULL_SLOT (the slot
// key filled by the seeded booking), RESULT_FILE (where the JavaScript-free booking's receipt
// number and final slot are written for the driver to check at the hub); optional
// PORTAL_SCREENSHOTS (a directory: a full-page PNG of every state axe checked).
//
// axe-core is injected with addScriptTag, which the site's CSP (script-src 'none') would block:
// the contexts that run axe bypass the CSP (bypassCSP); the pages themselves never need a script.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const SITE = env('PORTAL_URL');
const PEOPLE = JSON.parse(env('PORTAL_PEOPLE'));
const FULL_SLOT = env('FULL_SLOT');
const [MAIN, NOJS_1, NOJS_2, KEYBOARD] = PEOPLE;
const NO_CARD = 'ZZZ999999';  // a postcard number of no card: the per-number limit's target
// PORTAL_SCREENSHOTS=<dir>: a full-page PNG of every state checked, for a person to look at.
const SCREENSHOTS = process.env.PORTAL_SCREENSHOTS;
const IDENTITY_FAILED = 'はがきの番号と生年月日（月日）の組み合わせを確認できませんでした';

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: env('CHROMIUM'),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

async function newPage(options = {}) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    locale: 'ja-JP',
    bypassCSP: true,
    viewport: { width: 1280, height: 800 },
    ...options,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

// ---- axe-core ----

// Collects the violations of every page a test visits; assertClean() at the end of the test fails
// with all of them (one run shows everything to fix, and the test still cannot pass with any).
class Audit {
  constructor(label) {
    this.label = label;
    this.pages = 0;
    this.found = [];
  }

  async check(page, name) {
    await page.addScriptTag({ path: AXE_PATH });
    const result = await page.evaluate(() => window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
      resultTypes: ['violations'],
    }));
    this.pages += 1;
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const file = `${this.label}-${String(this.pages).padStart(2, '0')}-${name}`.replace(/[^\p{L}\p{N}%-]+/gu, '_');
      await page.screenshot({ path: join(SCREENSHOTS, `${file}.png`), fullPage: true });
    }
    for (const v of result.violations) {
      this.found.push(`[${this.label}] ${name} (${page.url()}): ${v.id} (${v.impact}) ${v.help}\n` +
        v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\n/g, ' / ')}\n      ${n.html}`).join('\n'));
    }
  }

  assertClean() {
    assert.ok(this.pages > 0, 'no page was checked');
    if (this.found.length) {
      assert.fail(`axe-core found ${this.found.length} violation(s) of WCAG 2 A/AA:\n${this.found.join('\n')}`);
    }
    console.log(`[${this.label}] axe-core: ${this.pages} page states, no violations`);
  }
}

// ---- navigation ----

async function open(page, rel, expectStatus = 200) {
  const res = await page.goto(`${SITE}${rel}`);
  assert.equal(res.status(), expectStatus, `GET ${rel}`);
  return res;
}

// Clicks a submit control and waits for the page it leads to; returns that page's status.
async function submit(page, locator) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return res ? res.status() : 0;
}

// Follows a link and waits for the page it leads to.
async function follow(page, name) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('link', { name, exact: true }).click()]);
}

const button = (page, name) => page.getByRole('button', { name, exact: true });
const heading = (page) => page.locator('h1').textContent();
const path = (page) => new URL(page.url()).pathname.slice(new URL(SITE).pathname.length);

async function fillPerson(page, n, person) {
  await page.fill(`#postcard_${n}`, person.postcard);
  await page.fill(`#month_${n}`, String(person.month));
  await page.fill(`#day_${n}`, String(person.day));
}

async function choosePeople(page, n) {
  await page.selectOption('#people', String(n));
  await submit(page, button(page, '人数を変える'));
}

// Picks the index-th bookable slot radio; returns its slot key.
async function pickSlot(page, index = 0) {
  const radio = page.locator('input[name="slot"]').nth(index);
  const key = await radio.getAttribute('value');
  await radio.check();
  return key;
}

async function fillContact(page, email = 'shiken@example.jp') {
  await page.fill('#email', email);
  await page.fill('#email_confirm', email);
  await page.fill('#phone', '03-1234-5678');
  await page.check('#proxy_1');
}

async function readDone(page) {
  const secrets = await page.locator('dd.secret').allTextContents();
  assert.equal(secrets.length, 2, 'the done page shows the receipt number and the password');
  return { receipt: secrets[0].trim(), password: secrets[1].trim() };
}

async function signIn(page, { receipt, password }) {
  await open(page, '/lookup');
  await page.fill('#receipt', receipt);
  await page.fill('#password', password);
  assert.equal(await submit(page, button(page, '予約を表示する')), 200);
  assert.equal(path(page), '/booking');
}

// ---- reflow ----

async function assertNoHorizontalScroll(page, name) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(scrollWidth <= clientWidth, `${name}: scrolls horizontally (scrollWidth ${scrollWidth} > clientWidth ${clientWidth})`);
}

// ---- the tests ----

// The audit itself finds violations: a page without lang, title or label fails it.
test('axe-core runs and reports violations', async () => {
  const page = await newPage();
  await open(page, '/help');
  await page.setContent('<!DOCTYPE html><html><head></head><body><input type="text"><img src="x.png"></body></html>');
  const audit = new Audit('self-check');
  await audit.check(page, 'broken page');
  const ids = audit.found.map((f) => f.match(/: ([a-z-]+) \(/)[1]);
  for (const id of ['html-has-lang', 'document-title', 'label', 'image-alt']) {
    assert.ok(ids.includes(id), `axe-core did not report ${id} (reported: ${ids.join(', ')})`);
  }
  assert.throws(() => audit.assertClean(), /violation/);
  await page.context().close();
});

test('top, help, FAQ, 404 and the lookup in its empty and failed states', async () => {
  const audit = new Audit('public');
  const page = await newPage();
  await open(page, '/');
  const main = await page.locator('main').textContent();
  assert.match(main, /システムメンテナンスのお知らせ/);
  assert.match(main, /メンテナンス期間：.+から.+まで/);
  assert.match(main, /年末年始の窓口について/);
  await audit.check(page, 'top with notices and maintenance');
  await open(page, '/help');
  await audit.check(page, 'help');
  await open(page, '/faq');
  await audit.check(page, 'FAQ');
  await open(page, '/no-such-page', 404);
  assert.equal(await heading(page), 'ページが見つかりません');
  await audit.check(page, '404');
  await open(page, '/lookup');
  await audit.check(page, 'lookup, empty');
  assert.equal(await submit(page, button(page, '予約を表示する')), 400);
  assert.match(await page.title(), /^エラー：/);
  await audit.check(page, 'lookup, nothing entered');
  await page.fill('#receipt', '20000101-9999');
  await page.fill('#password', 'WRONGPASS2');
  assert.equal(await submit(page, button(page, '予約を表示する')), 400);
  assert.match(await page.locator('.error-summary').textContent(), /受付番号またはパスワードが正しくありません/);
  await audit.check(page, 'lookup, failed sign-in');
  await page.context().close();
  audit.assertClean();
});

test('the first step of each business, empty and with errors; the identity check failing', async () => {
  const audit = new Audit('first steps');
  const page = await newPage();
  for (const business of ['collection', 'application', 'cert_renewal']) {
    await open(page, `/book/${business}`);
    await audit.check(page, `${business}: step 1 empty`);
    await choosePeople(page, 2);
    assert.equal(await page.locator('fieldset.person').count(), 2);
    await audit.check(page, `${business}: step 1 for two people`);
    assert.equal(await submit(page, button(page, '次へ進む')), 400);
    assert.match(await page.title(), /^エラー：/);
    await audit.check(page, `${business}: step 1 with errors`);
  }
  // Wrong formats (no identity check is made).
  await open(page, '/book/collection');
  await page.fill('#postcard_1', 'ABC');
  await page.fill('#month_1', '13');
  await page.fill('#day_1', 'x');
  assert.equal(await submit(page, button(page, '次へ進む')), 400);
  assert.equal(await page.locator('.error-summary li').count(), 3);
  await audit.check(page, 'collection: step 1 with format errors');
  // A real postcard number with the wrong birthday: the one message that says nothing more.
  await fillPerson(page, 1, { ...MAIN, day: MAIN.day === 1 ? 2 : 1 });
  assert.equal(await submit(page, button(page, '次へ進む')), 400);
  assert.match(await page.locator('.error-summary').textContent(), new RegExp(IDENTITY_FAILED));
  assert.equal(await page.inputValue('#day_1'), '', 'the birthday is not put back into the form');
  await audit.check(page, 'collection: identity check failed');
  await page.context().close();
  audit.assertClean();
});

test('a booking from the first step to the done page, lookup, detail, print, change and cancel', async () => {
  const audit = new Audit('booking');
  const page = await newPage();
  await open(page, '/book/collection');
  await fillPerson(page, 1, MAIN);
  await submit(page, button(page, '次へ進む'));
  assert.equal(path(page), '/book/counter');
  const counters = await page.locator('input[name="counter"] + label').allTextContents();
  assert.deepEqual(counters, ['本庁舎 市民課', '北支所'], 'the hidden counter is not offered');
  await audit.check(page, 'counter choice');
  assert.equal(await submit(page, button(page, '次へ進む')), 400);
  await audit.check(page, 'counter choice with an error');
  await page.getByLabel('北支所').check();
  await submit(page, button(page, '次へ進む'));
  assert.equal(path(page), '/book/slot');
  const week = await page.locator('main').textContent();
  assert.match(week, /満員/, 'the week shows the full slot');
  assert.match(week, /残り1/, 'the week shows the remaining places');
  assert.equal(await page.locator(`input[value="${FULL_SLOT}"]`).count(), 0, 'the full slot cannot be chosen');
  await audit.check(page, 'slot week with full and remaining');
  assert.equal(await submit(page, button(page, 'この時間で次へ進む')), 400);
  await audit.check(page, 'slot week with an error');
  await follow(page, '次の週を表示');
  assert.match(page.url(), /from=/);
  await audit.check(page, 'slot week, the next week');
  await follow(page, '前の週を表示');
  assert.match(page.url(), /from=/);
  await pickSlot(page, 0);
  await submit(page, button(page, 'この時間で次へ進む'));
  assert.equal(path(page), '/book/contact');
  await audit.check(page, 'contact');
  assert.equal(await submit(page, button(page, '入力内容を確認する')), 400);
  assert.equal(await page.locator('.error-summary li').count(), 3);
  await audit.check(page, 'contact with errors (nothing entered)');
  await page.fill('#email', 'shiken@example');
  await page.fill('#email_confirm', 'other@example.jp');
  await page.fill('#phone', 'abc');
  assert.equal(await submit(page, button(page, '入力内容を確認する')), 400);
  await audit.check(page, 'contact with errors (wrong values)');
  await fillContact(page);
  await submit(page, button(page, '入力内容を確認する'));
  assert.equal(path(page), '/book/confirm');
  await audit.check(page, 'confirmation');
  await submit(page, button(page, '予約する'));
  assert.equal(path(page), '/book/done');
  const made = await readDone(page);
  await audit.check(page, 'done with receipt number and password');
  await page.reload();
  assert.equal(await page.locator('dd.secret').count(), 1, 'the password is shown once');
  await audit.check(page, 'done, reloaded');

  await signIn(page, made);
  assert.match(await page.locator('main').textContent(), /予約中/);
  await audit.check(page, 'booking detail');
  await follow(page, '印刷用の画面を表示する');
  assert.match(page.url(), /\/booking\/print$/);
  await audit.check(page, 'print view');
  await open(page, '/booking');
  await follow(page, '日時を変更する');
  assert.match(page.url(), /\/booking\/change$/);
  await audit.check(page, 'change: counter');
  await page.getByLabel('本庁舎 市民課').check();
  await submit(page, button(page, '次へ進む'));
  assert.equal(path(page), '/book/slot');
  await audit.check(page, 'change: slot week');
  await pickSlot(page, 1);
  await submit(page, button(page, 'この時間で次へ進む'));
  assert.equal(path(page), '/book/confirm');
  assert.equal(await heading(page), '変更内容の確認');
  await audit.check(page, 'change: confirmation');
  await submit(page, button(page, '変更する'));
  assert.equal(path(page), '/booking');
  assert.match(await page.locator('[role="status"]').textContent(), /変更しました/);
  await audit.check(page, 'change: done (detail with message)');
  await follow(page, '予約を取り消す');
  assert.match(page.url(), /\/booking\/cancel$/);
  await audit.check(page, 'cancel: confirmation');
  await submit(page, button(page, '予約を取り消す'));
  assert.equal(path(page), '/booking');
  assert.match(await page.locator('[role="status"]').textContent(), /取り消しました/);
  assert.match(await page.locator('main').textContent(), /取消済み/);
  await audit.check(page, 'cancel: done (detail with message)');
  await submit(page, button(page, '表示を終わる'));
  assert.equal(path(page), '/');
  await page.context().close();
  audit.assertClean();
});

test('too many identity checks for one postcard number: the 429 page', async () => {
  const audit = new Audit('429');
  const page = await newPage();
  await open(page, '/book/collection');
  let status = 0;
  for (let i = 0; i < 10 && status !== 429; i++) {
    await fillPerson(page, 1, { postcard: NO_CARD, month: 1, day: 1 });
    status = await submit(page, button(page, '次へ進む'));
    if (status !== 429) {
      assert.equal(status, 400);
      assert.match(await page.locator('.error-summary').textContent(), new RegExp(IDENTITY_FAILED));
    }
  }
  assert.equal(status, 429, 'the per-number limit answers 429');
  assert.equal(await heading(page), '入力の回数が多すぎます');
  await audit.check(page, '429');
  await page.context().close();
  audit.assertClean();
});

// The key pages: public pages, the first step with errors, the whole flow of an application
// booking (no identity check), lookup and detail. `name` labels the failures.
async function keyPages(options, name) {
  const audit = new Audit(name);
  const page = await newPage(options);
  const visit = async (label) => {
    await assertNoHorizontalScroll(page, `${name}: ${label}`);
    await audit.check(page, label);
  };
  await open(page, '/');
  await visit('top');
  await open(page, '/help');
  await visit('help');
  await open(page, '/faq');
  await visit('FAQ');
  await open(page, '/book/collection');
  await choosePeople(page, 2);
  await submit(page, button(page, '次へ進む'));
  await visit('collection step 1 with errors');
  await open(page, '/book/application');
  await submit(page, button(page, '次へ進む'));
  await visit('application step 1 with errors');
  await page.check('#kind_2');
  await page.fill('#name_1', 'シケン ゴロウ');
  await submit(page, button(page, '次へ進む'));
  await visit('counter choice');
  await page.getByLabel('北支所').check();
  await submit(page, button(page, '次へ進む'));
  await visit('slot week');
  await pickSlot(page, 2);
  await submit(page, button(page, 'この時間で次へ進む'));
  await submit(page, button(page, '入力内容を確認する'));
  await visit('contact with errors');
  await fillContact(page, 'zoom@example.jp');
  await submit(page, button(page, '入力内容を確認する'));
  await visit('confirmation');
  await submit(page, button(page, '予約する'));
  const made = await readDone(page);
  await visit('done');
  await signIn(page, made);
  await visit('booking detail');
  await open(page, '/booking/print');
  await visit('print view');
  await open(page, '/booking/cancel');
  await visit('cancel confirmation');
  await open(page, '/lookup');
  await submit(page, button(page, '予約を表示する'));
  await visit('lookup with an error');
  await page.context().close();
  audit.assertClean();
}

test('the key pages at 320 CSS px: no horizontal scrolling, no violations', async () => {
  await keyPages({ viewport: { width: 320, height: 640 } }, '320px');
});

// A 1280x800 screen zoomed to 200%: the page lays out in 640x400 CSS px, each CSS px drawn with
// 2 device pixels, which is what the browser's zoom does (devicePixelRatio 2, media queries and
// layout see 640 px).
test('the key pages at 200% zoom: no horizontal scrolling, no violations', async () => {
  await keyPages({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 }, '200%');
});

test('booking for two people, lookup, change and cancel with JavaScript disabled', async () => {
  const page = await newPage({ javaScriptEnabled: false, bypassCSP: false });
  await open(page, '/book/collection');
  await choosePeople(page, 2);
  await fillPerson(page, 1, NOJS_1);
  await fillPerson(page, 2, NOJS_2);
  await submit(page, button(page, '次へ進む'));
  assert.equal(path(page), '/book/counter');
  await page.getByLabel('本庁舎 市民課').check();
  await submit(page, button(page, '次へ進む'));
  assert.equal(path(page), '/book/slot');
  assert.match(await page.locator('main').textContent(), /（2人分）/);
  const slot = await pickSlot(page, 0);
  await submit(page, button(page, 'この時間で次へ進む'));
  assert.equal(path(page), '/book/contact');
  await fillContact(page, 'nojs@example.jp');
  await submit(page, button(page, '入力内容を確認する'));
  assert.equal(path(page), '/book/confirm');
  const confirm = await page.locator('main').textContent();
  assert.match(confirm, new RegExp(`はがきの番号 ${NOJS_1.postcard}`));
  assert.match(confirm, new RegExp(`はがきの番号 ${NOJS_2.postcard}`));
  await submit(page, button(page, '予約する'));
  assert.equal(path(page), '/book/done');
  const made = await readDone(page);
  assert.match(made.receipt, /^\d{8}-\d{4}$/);

  await signIn(page, made);
  const detail = await page.locator('main').textContent();
  assert.match(detail, /予約中/);
  assert.match(detail, /2人/);
  await follow(page, '日時を変更する');
  assert.match(page.url(), /\/booking\/change$/);
  await page.getByLabel('本庁舎 市民課').check();
  await submit(page, button(page, '次へ進む'));
  const changed = await pickSlot(page, 3);
  assert.notEqual(changed, slot);
  await submit(page, button(page, 'この時間で次へ進む'));
  assert.equal(await heading(page), '変更内容の確認');
  await submit(page, button(page, '変更する'));
  assert.match(await page.locator('[role="status"]').textContent(), /変更しました/);
  await follow(page, '予約を取り消す');
  assert.match(page.url(), /\/booking\/cancel$/);
  await submit(page, button(page, '予約を取り消す'));
  assert.match(await page.locator('main').textContent(), /取消済み/);
  writeFileSync(env('RESULT_FILE'), JSON.stringify({ nojs_receipt: made.receipt, nojs_changed_slot: changed }));
  await page.context().close();
});

// ---- keyboard only ----

// Controls are told apart by their position in the document (several links share a target, e.g.
// the top page in the header, the footer and a 戻る link); `name` is for the messages.
// What has focus: which control, whether it matches :focus-visible, and its outline.
const focused = (page) => page.evaluate(() => {
  const describeEl = (el) => ({
    key: [...document.querySelectorAll('*')].indexOf(el),
    name: el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}[${el.getAttribute('href') || el.textContent.trim()}]`,
  });
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  return {
    ...describeEl(el),
    visible: el.matches(':focus-visible'),
    outline: `${cs.outlineStyle} ${cs.outlineWidth}`,
    outlineNone: cs.outlineStyle === 'none' || parseFloat(cs.outlineWidth) === 0,
  };
});

// Every control a keyboard user must reach: links, buttons, selects, inputs; one stop per radio
// group (its checked radio, else its first).
const controls = (page) => page.evaluate(() => {
  const describeEl = (el) => ({
    key: [...document.querySelectorAll('*')].indexOf(el),
    name: el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}[${el.getAttribute('href') || el.textContent.trim()}]`,
  });
  const stop = (el) => {
    if (el.type !== 'radio') return true;
    const group = [...document.querySelectorAll(`input[type="radio"][name="${el.name}"]`)];
    const checked = group.find((r) => r.checked);
    return checked ? el === checked : el === group[0];
  };
  return [...document.querySelectorAll('a[href], button, select, input:not([type="hidden"]), textarea')]
    .filter((el) => !el.disabled && stop(el)).map(describeEl);
});

// Tabs through the whole page from the top: every control gets focus, each with a visible focus
// indicator. Returns the names in focus order.
async function tabThrough(page, label) {
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  const expected = await controls(page);
  const seen = [];
  for (let i = 0; i < expected.length + 5; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (!f || seen.some((s) => s.key === f.key)) break;
    seen.push(f);
    assert.ok(f.visible, `${label}: ${f.name} has focus but does not match :focus-visible`);
    assert.ok(!f.outlineNone, `${label}: ${f.name} has no visible focus outline (${f.outline})`);
  }
  for (const c of expected) {
    assert.ok(seen.some((s) => s.key === c.key),
      `${label}: Tab never reaches ${c.name} (reached: ${seen.map((s) => s.name).join(', ')})`);
  }
  return seen.map((s) => s.name);
}

// Presses Tab until the element matching `selector` has focus.
async function tabTo(page, selector) {
  for (let i = 0; i < 80; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reaches ${selector}`);
}

async function keyboardSubmit(page, selector) {
  await tabTo(page, selector);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
}

test('the booking form with the keyboard only: every control reached, focus visible', async () => {
  const page = await newPage();
  await open(page, '/book/collection');
  const order = await tabThrough(page, 'step 1');
  assert.equal(order[0], 'a[#main]', 'the skip link comes first');
  // The skip link moves to the content.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  // Two people with the select and its button, then back to one.
  await tabTo(page, '#people');
  await page.keyboard.press('ArrowDown');
  await keyboardSubmit(page, 'button.button--secondary');
  assert.equal(await page.locator('fieldset.person').count(), 2);
  await tabThrough(page, 'step 1, two people');
  await tabTo(page, '#people');
  await page.keyboard.press('ArrowUp');
  await keyboardSubmit(page, 'button.button--secondary');
  assert.equal(await page.locator('fieldset.person').count(), 1);
  // Errors: the summary's links lead to the fields.
  await keyboardSubmit(page, 'form[method="post"] button[type="submit"]');
  await tabThrough(page, 'step 1 with errors');
  await tabTo(page, '.error-summary a[href="#postcard_1"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#postcard_1');
  // The identity check, typed.
  await tabTo(page, '#postcard_1');
  await page.keyboard.type(KEYBOARD.postcard);
  await page.keyboard.press('Tab');
  await page.keyboard.type(String(KEYBOARD.month));
  await page.keyboard.press('Tab');
  await page.keyboard.type(String(KEYBOARD.day));
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  assert.equal(path(page), '/book/counter');
  await tabThrough(page, 'counter');
  await tabTo(page, 'input[name="counter"]');
  await page.keyboard.press('Space');
  await keyboardSubmit(page, 'form[method="post"] button[type="submit"]');
  assert.equal(path(page), '/book/slot');
  await tabThrough(page, 'slot week');
  await tabTo(page, 'input[name="slot"]');
  await page.keyboard.press('Space');
  await keyboardSubmit(page, 'form[method="post"] button[type="submit"]');
  assert.equal(path(page), '/book/contact');
  await tabThrough(page, 'contact');
  await tabTo(page, '#email');
  await page.keyboard.type('keyboard@example.jp');
  await page.keyboard.press('Tab');
  await page.keyboard.type('keyboard@example.jp');
  await tabTo(page, 'input[name="proxy"]');
  await page.keyboard.press('Space');
  await keyboardSubmit(page, 'form[method="post"] button[type="submit"]');
  assert.equal(path(page), '/book/confirm');
  await tabThrough(page, 'confirmation');
  await keyboardSubmit(page, 'form[method="post"] button[type="submit"]');
  assert.equal(path(page), '/book/done');
  await readDone(page);
  await page.context().close();
});
