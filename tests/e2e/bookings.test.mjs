// One day of reservations in a real browser (headless Chromium through playwright-core), run by
// bookings_e2e.cc phase by phase (BOOKINGS_PHASE) against a hub serving the administration console
// (HUB_CONSOLE_URL) and the citizen site (PORTAL_URL, TLS), and counter-01's console (CONSOLE_URL),
// whose link the driver cuts between the phases:
//   admin     権限管理: role chief with booking_override (PHN-5); マスタ管理: a counter by keyboard
//             (MST-1, MST-2), slots for the coming weeks with preview then apply (MST-4); お知らせ: a
//             maintenance notice with its preview (RSV-3);
//   online    the administrator closes slot B (MST-6); 電話予約 at the counter shows the counter once
//             the masters arrived; the clerk books slot A for a card, the card's name shown for
//             confirmation, receipt number and password once (PHN-1, PHN-2); the hub console shows
//             A's fill;
//   offline   the clerk books A's last place at the counter (未送信) and a resident books the same
//             last place on the citizen site (RSV-1, EDGE-5);
//   restored  the counter shows the hub's refusal: 満員… and what to do (EDGE-5);
//   override  the chief books A beyond capacity with the explicit override at the hub console; the
//             clerk there gets no override, not even by a hand-made request (PHN-5); B is offered
//             neither by phone nor on the site; the maintenance notice is on the site's top (RSV-3).
// Environment: the URLs above, CHROMIUM, ADMIN_/CLERK_/CHIEF_ID and _PASSWORD, COUNTER_ID, CAPACITY,
// PEOPLE (JSON: [{manufacture_no, postcard, month, day, name}]), TODAY and GENERATE_TO (YYYY-MM-DD,
// Japan), SLOT_A and SLOT_B (slot keys, from the online phase on), RESULT_FILE (receipt numbers for
// the driver, merged phase by phase).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const phase = env('BOOKINGS_PHASE');
const hub = env('HUB_CONSOLE_URL');
const counterConsole = env('CONSOLE_URL');
const site = env('PORTAL_URL');
const COUNTER = env('COUNTER_ID');
const COUNTER_NAME = '本庁舎 市民課';
const CAPACITY = Number(env('CAPACITY'));
const PEOPLE = JSON.parse(env('PEOPLE'));
const TODAY = env('TODAY');
const resultFile = env('RESULT_FILE');
const SLOT_A = phase === 'admin' ? '' : env('SLOT_A');
const SLOT_B = phase === 'admin' ? '' : env('SLOT_B');
const MAINT_TITLE = '予約システムのメンテナンスのお知らせ';
const kReplicationMs = 30_000;

const addDays = (iso, n) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};
const slotDate = (key) => key.slice(key.indexOf(':') + 1, key.indexOf('T'));

function record(values) {
  const old = existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, 'utf8')) : {};
  writeFileSync(resultFile, JSON.stringify({ ...old, ...values }));
}

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: env('CHROMIUM'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

// Every person at the desk has a context of their own: the consoles share 127.0.0.1, and cookies
// do not tell ports apart.
async function newPage() {
  const context = await browser.newContext({ locale: 'ja-JP', ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

// Runs `act` (a click or key press that submits or follows) and waits for the page it leads to.
async function submit(page, act) {
  const [response] = await Promise.all([page.waitForNavigation(), act()]);
  return response;
}
const button = (page, name) => page.getByRole('button', { name, exact: true });
const nav = (page) => page.locator('nav[aria-label="メインメニュー"]:visible');  // the wide one, or the folded one on a phone
const main = async (page) => (await page.locator('main').textContent()).replace(/\s+/g, ' ');
// The table's body rows as "cell | cell | ...".
const rows = async (page) => page.locator('table tbody tr').evaluateAll((trs) =>
  trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim()).join(' | ')));
const pathOf = (page) => new URL(page.url()).pathname;

async function signIn(base, id, password) {
  const page = await newPage();
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('ID').fill(id);
  await page.getByLabel('パスワード').fill(password);
  await submit(page, () => page.getByLabel('パスワード').press('Enter'));
  assert.equal(pathOf(page), '/', `${id} signed in`);
  return page;
}

// Keyboard entry: focus the field, select what is there, type.
async function type(locator, text) {
  await locator.focus();
  await locator.press('Control+A');
  await locator.pressSequentially(text);
}

async function until(what, check, timeoutMs = kReplicationMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

// ---- 電話予約 (either console) ----

// From 新しい電話予約 to the week holding `slot` (collection, one person, COUNTER). Returns the
// response of the slot week's page.
async function phoneSlotWeek(page, base, slot) {
  await submit(page, () => nav(page).getByRole('link', { name: '電話予約', exact: true }).click());
  await submit(page, () => page.getByRole('link', { name: '新しい電話予約' }).click());
  await page.getByLabel('交付', { exact: true }).check();
  await submit(page, () => button(page, '次へ（窓口の選択）').click());
  await page.getByLabel(`${COUNTER_NAME}（${COUNTER}）`).check();
  let res = await submit(page, () => button(page, '次へ（枠の選択）').click());
  for (let i = 0; i < 6 && !(await page.locator('h2', { hasText: slotDate(slot) }).count()); i++) {
    res = await submit(page, () => page.getByRole('link', { name: '次の週' }).click());
  }
  assert.ok(await page.locator('h2', { hasText: slotDate(slot) }).count(), `the week of ${slot} is shown`);
  return res;
}

// The slot's line in the week as shown (selectable or not).
async function slotLine(page, slot) {
  const time = slot.slice(slot.indexOf('T') + 1);
  const day = page.locator('fieldset#slots h2', { hasText: slotDate(slot) });
  const lines = await day.evaluate((h2) => {
    const out = [];
    for (let n = h2.nextElementSibling; n && n.tagName !== 'H2'; n = n.nextElementSibling) out.push(n.textContent.trim());
    return out;
  });
  return lines.find((l) => l.startsWith(time)) ?? '';
}

// From the slot chosen to the receipt number and password: the person's card, the name confirmed.
async function phoneBook(page, person, { override = false } = {}) {
  await submit(page, () => button(page, '次へ（来庁する人の入力）').click());
  assert.equal(await page.locator('h1').textContent(), '電話予約：来庁する人と連絡先');
  if (override) assert.match(await page.locator('#slot').textContent(), /定員超過（権限による予約）/);
  await type(page.getByLabel('1人目の製造番号'), person.manufacture_no);
  await type(page.getByLabel('電話番号（連絡先）'), '03-1234-5678');
  await submit(page, () => page.getByLabel('電話番号（連絡先）').press('Enter'));
  const confirm = await main(page);
  assert.match(confirm, new RegExp(`製造番号 ${person.manufacture_no} 氏名 ${person.name}`), 'the card\'s name to confirm');
  if (override) assert.match(confirm, /定員を超えて予約します/);
  await submit(page, () => button(page, 'この内容で予約する').click());
  const cells = await page.locator('table tbody td strong').allTextContents();
  assert.equal(cells.length, 2, 'the receipt number and the password');
  const [receipt, password] = cells.map((c) => c.trim());
  assert.match(password, /^[2-9A-HJKMNP-Z]{10}$/);
  return { receipt, password };
}

// ---- the citizen site ----

async function siteSlotWeek(page, first) {
  await first();
  await submit(page, () => button(page, '次へ進む').click());
  assert.equal(new URL(page.url()).pathname.endsWith('/book/counter'), true, 'the counter choice');
  await page.getByLabel(COUNTER_NAME).check();
  await submit(page, () => button(page, '次へ進む').click());
  // The week from slot A's day (the site's ?from= of 次の週を表示).
  const week = new URL(page.url());
  assert.ok(week.pathname.endsWith('/book/slot'), week.pathname);
  week.searchParams.set('from', slotDate(SLOT_A));
  await page.goto(week.toString());
}

// ---- the phases ----

if (phase === 'admin') {
  test('the administrator: role, counter by keyboard, slots with preview, maintenance notice', async () => {
    const admin = await signIn(hub, env('ADMIN_ID'), env('ADMIN_PASSWORD'));

    // 権限管理: 窓口主任 may book beyond capacity and after the deadline (PHN-5).
    await submit(admin, () => nav(admin).getByRole('link', { name: '権限管理' }).click());
    await submit(admin, () => admin.getByRole('link', { name: '権限を追加する' }).click());
    await type(admin.locator('#role_id'), 'chief');
    await type(admin.locator('#name'), '窓口主任');
    for (const m of ['home', 'phone_bookings', 'booking_override']) {
      await admin.locator(`#menu_${m}`).focus();
      if (!(await admin.locator(`#menu_${m}`).isChecked())) await admin.keyboard.press('Space');
    }
    await submit(admin, () => button(admin, '追加する').click());
    assert.match(admin.url(), /\/roles\?done=added$/);
    const roles = await rows(admin);
    assert.ok(roles.includes('chief | 窓口主任 | ホーム、電話予約、締切後・定員超過の予約 | 1人'), roles.join('\n'));
    assert.ok(roles.some((r) => r.startsWith('counter_clerk | 窓口職員 |')), 'the built-in roles are kept');

    // マスタ管理: the counter, by keyboard.
    await submit(admin, () => nav(admin).getByRole('link', { name: 'マスタ管理' }).click());
    await submit(admin, () => admin.getByRole('link', { name: '窓口を追加する' }).click());
    await type(admin.getByLabel('窓口ID'), COUNTER);
    await admin.keyboard.press('Tab');
    await admin.keyboard.type(COUNTER_NAME);
    for (const b of ['交付', '申請']) {
      const box = admin.getByLabel(b, { exact: true });
      await box.focus();
      if (!(await box.isChecked())) await admin.keyboard.press('Space');
    }
    for (const day of ['月曜日', '火曜日', '水曜日', '木曜日', '金曜日']) await type(admin.getByLabel(day), '09:00-10:00');
    await type(admin.getByLabel('1件あたりの時間（分）'), '30');
    await type(admin.getByLabel('1枠あたりの予約人数'), String(CAPACITY));
    await type(admin.getByLabel('予約の締切（何日前）'), '1');
    await admin.getByLabel('締切時刻').fill('17:00');
    await submit(admin, () => admin.getByLabel('予約の締切（何日前）').press('Enter'));
    assert.match(admin.url(), /\/masters\?done=added$/, await main(admin));
    assert.match((await rows(admin)).join('\n'), new RegExp(`^${COUNTER} \\| ${COUNTER_NAME} \\| 交付・申請 \\| 表示 \\| .* \\| 1日前の17:00 \\| 予約枠を見る`, 'm'));

    // Slots for the coming weeks: preview (nothing saved), then apply.
    await submit(admin, () => admin.getByRole('link', { name: /予約枠を作成する/ }).click());
    assert.ok(await admin.getByLabel(`${COUNTER} ${COUNTER_NAME}`).isChecked());
    await admin.getByLabel('終了日').fill(env('GENERATE_TO'));
    await submit(admin, () => button(admin, '作成する内容を確認する').click());
    assert.match(await admin.locator('table caption').textContent(), /作成する内容（まだ保存していません）/);
    const preview = await admin.locator('table tbody tr td').allTextContents();
    assert.equal(preview[0], `${COUNTER} ${COUNTER_NAME}`);
    const added = Number(preview[1]);
    assert.ok(added >= 20, `the preview adds ${added} slots`);
    const look = await admin.context().newPage();
    await look.goto(`${hub}/masters/slots?counter=${COUNTER}&month=${addDays(TODAY, 7).slice(0, 7)}`);
    assert.match(await look.locator('table caption').textContent(), /予約枠（0枠）/, 'the preview saved nothing');
    await look.close();
    await submit(admin, () => button(admin, 'この内容で予約枠を作成する').click());
    assert.match(await admin.getByRole('status').textContent(), /予約枠を作成しました。/);
    assert.equal(Number((await admin.locator('table tbody tr td').allTextContents())[1]), added);

    // お知らせ: a maintenance notice, previewed, then added.
    await submit(admin, () => nav(admin).getByRole('link', { name: 'お知らせ' }).click());
    await submit(admin, () => admin.getByRole('link', { name: 'お知らせを追加する' }).click());
    await type(admin.getByLabel('お知らせID'), 'maint-e2e');
    await admin.getByLabel('メンテナンスのお知らせ').check();
    await type(admin.getByLabel('件名'), MAINT_TITLE);
    await type(admin.getByLabel(/^本文/), 'メンテナンスの間は、予約サイトをご利用いただけません。');
    await admin.getByLabel('掲載開始日時').fill(`${addDays(TODAY, -1)}T00:00`);
    await admin.getByLabel('開始', { exact: true }).fill(`${addDays(TODAY, 20)}T22:00`);
    await admin.getByLabel('終了', { exact: true }).fill(`${addDays(TODAY, 21)}T06:00`);
    await submit(admin, () => button(admin, '表示を確認する').click());
    assert.match(await admin.locator('.notice-preview').textContent(), new RegExp(`${MAINT_TITLE}.*メンテナンス期間：`, 's'));
    await submit(admin, () => button(admin, '追加する').click());
    assert.match(admin.url(), /\/notices\?done=added$/);
    assert.match((await rows(admin)).join('\n'), new RegExp(`^${MAINT_TITLE} \\| メンテナンス.* \\| 掲載中$`, 'm'));
  });
}

if (phase === 'online') {
  test('slot B closed at the hub; the clerk books slot A by phone at the counter', async () => {
    const admin = await signIn(hub, env('ADMIN_ID'), env('ADMIN_PASSWORD'));
    await admin.goto(`${hub}/masters/slots?counter=${COUNTER}&month=${slotDate(SLOT_B).slice(0, 7)}`);
    const hrefs = await admin.locator('a[href^="/masters/slots/edit"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const index = hrefs.findIndex((h) => decodeURIComponent(h.split('key=')[1]) === SLOT_B);
    assert.ok(index >= 0, `slot B ${SLOT_B} is listed at the hub`);
    await submit(admin, () => admin.locator('a[href^="/masters/slots/edit"]').nth(index).click());
    await admin.getByLabel('予約を受け付ける').focus();
    await admin.keyboard.press('Space');
    await type(admin.getByLabel(/^メモ/), 'システム点検のため停止');
    await submit(admin, () => admin.getByLabel(/^メモ/).press('Enter'));
    assert.match(await admin.getByRole('status').textContent(), /予約枠を変更しました。/);
    assert.ok((await rows(admin)).some((r) => /\| 停止（個別変更） \| .* \| システム点検のため停止 \|/.test(r)), 'slot B shown closed');

    // The counter console: the counter arrives with the feed, then B's closure.
    const clerk = await signIn(counterConsole, env('CLERK_ID'), env('CLERK_PASSWORD'));
    await until('the counter in 電話予約 at counter-01', async () => {
      await clerk.goto(`${counterConsole}/phone_bookings/new?business=collection&places=1`);
      return (await clerk.getByLabel(`${COUNTER_NAME}（${COUNTER}）`).count()) === 1;
    });
    await until('slot B closed at counter-01', async () => {
      await clerk.goto(`${counterConsole}/`);
      await phoneSlotWeek(clerk, counterConsole, SLOT_B);
      return /0\/2　受付停止/.test(await slotLine(clerk, SLOT_B));
    });
    assert.equal(await clerk.locator(`input[value="${SLOT_B}"]`).count(), 0, 'the closed slot cannot be chosen');
    assert.match(await slotLine(clerk, SLOT_A), /0\/2　空きあり/);
    await clerk.locator(`input[value="${SLOT_A}"]`).check();
    const made = await phoneBook(clerk, PEOPLE[0]);
    record({ online_receipt: made.receipt });

    // The hub console shows the booking in A's fill once it has arrived.
    await until('slot A with one place booked at the hub console', async () => {
      await admin.goto(`${hub}/masters/slots?counter=${COUNTER}&month=${slotDate(SLOT_A).slice(0, 7)}`);
      const rows = await admin.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => ({
        href: tr.querySelector('a')?.getAttribute('href') ?? '',
        cells: [...tr.cells].map((td) => td.textContent),
      })));
      const row = rows.find((r) => decodeURIComponent(r.href.split('key=')[1] ?? '') === SLOT_A);
      return row && row.cells[3] === '1';
    });
  });
}

if (phase === 'offline') {
  test('EDGE-5: the counter takes A\'s last place offline while a resident takes it on the site', async () => {
    const clerk = await signIn(counterConsole, env('CLERK_ID'), env('CLERK_PASSWORD'));
    await phoneSlotWeek(clerk, counterConsole, SLOT_A);
    assert.match(await slotLine(clerk, SLOT_A), /1\/2　空きあり/);
    await clerk.locator(`input[value="${SLOT_A}"]`).check();
    const made = await phoneBook(clerk, PEOPLE[1]);
    assert.match(await main(clerk), /まだ本庁（ハブ）に届いていません（未送信）/);
    await submit(clerk, () => clerk.getByRole('link', { name: '予約の詳細を見る' }).click());
    assert.match(await main(clerk), /未送信（ハブ未確認）/);
    record({ offline_receipt: made.receipt });

    const resident = await newPage();
    await resident.goto(`${site}/book/collection`);
    await siteSlotWeek(resident, async () => {
      await resident.fill('#postcard_1', PEOPLE[2].postcard);
      await resident.fill('#month_1', String(PEOPLE[2].month));
      await resident.fill('#day_1', String(PEOPLE[2].day));
    });
    assert.match(await main(resident), /残り1/);
    await resident.locator(`input[value="${SLOT_A}"]`).check();
    await submit(resident, () => button(resident, 'この時間で次へ進む').click());
    await resident.fill('#email', 'shiken@example.jp');
    await resident.fill('#email_confirm', 'shiken@example.jp');
    await resident.fill('#phone', '03-9876-5432');
    await resident.getByLabel('ご本人が来庁する').check();
    await submit(resident, () => button(resident, '入力内容を確認する').click());
    assert.ok(resident.url().endsWith('/book/confirm'), await main(resident));
    await submit(resident, () => button(resident, '予約する').click());
    assert.ok(resident.url().endsWith('/book/done'), resident.url());
    const secrets = await resident.locator('dd.secret').allTextContents();
    assert.equal(secrets.length, 2);
    record({ web_receipt: secrets[0].trim() });
  });
}

if (phase === 'restored') {
  test('EDGE-5: the counter shows the hub\'s refusal with what to do', async () => {
    const { offline_receipt: receipt } = JSON.parse(readFileSync(resultFile, 'utf8'));
    const clerk = await signIn(counterConsole, env('CLERK_ID'), env('CLERK_PASSWORD'));
    await until('the refusal at counter-01', async () => {
      await clerk.goto(`${counterConsole}/phone_bookings`);
      return (await clerk.locator('.error-summary[role="alert"]').count()) === 1;
    });
    const alert = (await clerk.locator('.error-summary[role="alert"]').textContent()).replace(/\s+/g, ' ');
    assert.match(alert, /本庁（ハブ）で受け付けられなかった予約/);
    assert.match(alert, new RegExp(`受付番号 ${receipt}.*満員のため受け付けられませんでした。`));
    assert.match(alert, /この予約は成立していません。お客様に電話で連絡し、別の枠で予約し直してください。/);
    await submit(clerk, () => clerk.locator('.error-summary').getByRole('link', { name: receipt }).click());
    const detail = await main(clerk);
    assert.match(detail, /満員のため受け付けられませんでした。/);
    assert.match(detail, /成立していません/);
    assert.doesNotMatch(detail, /未送信（ハブ未確認）/);
    assert.equal(await clerk.getByRole('link', { name: '別の枠で予約し直す' }).count(), 1);
  });
}

if (phase === 'override') {
  test('PHN-5: the chief books beyond capacity at the hub; the clerk cannot', async () => {
    const chief = await signIn(hub, env('CHIEF_ID'), env('CHIEF_PASSWORD'));
    assert.deepEqual(await nav(chief).locator('a').allTextContents(), ['ホーム', '電話予約']);
    await phoneSlotWeek(chief, hub, SLOT_A);
    assert.match(await slotLine(chief, SLOT_A), /2\/2　満員（権限による予約）/);
    assert.equal(await chief.getByRole('group', { name: /権限による予約/ }).count(), 1);
    await chief.locator(`input[value="${SLOT_A}"]`).check();
    // Without the explicit checkbox the full slot is refused.
    const refused = await submit(chief, () => button(chief, '次へ（来庁する人の入力）').click());
    assert.equal(refused.status(), 422);
    assert.match(await main(chief), /定員を超えて予約するときは「定員を超えて予約する」にチェックを入れてください。/);
    await chief.locator(`input[value="${SLOT_A}"]`).check();
    await chief.getByLabel('定員を超えて予約する').check();
    const made = await phoneBook(chief, PEOPLE[3], { override: true });
    record({ override_receipt: made.receipt });

    const clerk = await signIn(hub, env('CLERK_ID'), env('CLERK_PASSWORD'));
    await phoneSlotWeek(clerk, hub, SLOT_A);
    assert.match(await slotLine(clerk, SLOT_A), /3\/2　満員/);
    assert.equal(await clerk.locator(`input[value="${SLOT_A}"]`).count(), 0, 'the full slot is not offered to the clerk');
    assert.equal(await clerk.locator('#ovc').count(), 0, 'no override for the clerk');
    assert.match(await slotLine(clerk, SLOT_B), /受付停止/);
    assert.equal(await clerk.locator(`input[value="${SLOT_B}"]`).count(), 0, 'the closed slot is not offered');
    // A hand-made request with the override is refused too.
    const forged = new URL(clerk.url());
    forged.searchParams.set('slot', SLOT_A);
    forged.searchParams.set('ovc', '1');
    const res = await clerk.goto(forged.toString());
    assert.equal(res.status(), 422);
    assert.match(await main(clerk), /この枠は満員です。別の枠を選んでください。/);
    assert.equal(await clerk.getByLabel('1人目の製造番号').count(), 0);
  });

  test('the site: the closed and the full slot are not offered; the maintenance notice on the top page', async () => {
    const resident = await newPage();
    await resident.goto(`${site}/`);
    const top = await main(resident);
    assert.match(top, new RegExp(MAINT_TITLE));
    assert.match(top, /メンテナンス期間：.+から.+まで/);
    await resident.goto(`${site}/book/application`);
    await siteSlotWeek(resident, async () => {
      await resident.check('#kind_2');
      await resident.fill('#name_1', 'シケン ゴロウ');
    });
    const week = await main(resident);
    assert.ok(await resident.locator('input[name="slot"]').count() > 0, 'the week offers slots');
    assert.match(week, /受付なし/, 'the closed slot is shown as not taking bookings');
    assert.equal(await resident.locator(`input[value="${SLOT_A}"]`).count(), 0, 'the full slot is not offered');
    assert.equal(await resident.locator(`input[value="${SLOT_B}"]`).count(), 0, 'the closed slot is not offered');
    assert.match(week, /満員/);
  });
}
