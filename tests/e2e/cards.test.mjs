// 交付管理 in a real browser (headless Chromium through playwright-core), run by cards_e2e.cc.
// Environment: CONSOLE_URL (counter-01, whose link the driver cuts), CONSOLE2_URL (counter-02),
// CHROMIUM, PROFILE_DIR, CLERK_ID/CLERK_PASSWORD, JLIS_DIR (madoguchi-sim jlis output: pages/*.png
// and expected.jsonl), ONLINE_ISSUE_AT/OFFLINE_ISSUE_AT ("YYYY-MM-DDTHH:MM"), CARDS_PHASE:
//   online    page 1 imported (ISS-1, ISS-3), refused a second time (ISS-2), an issuance (ISS-9),
//             search in half-width katakana (ISS-5), CSV and Excel export (ISS-7);
//   offline   counter-01's link is cut: page 2 imported and an issuance recorded, 未送信 (EDGE-3);
//   restored  the link is back and the hub has everything: nothing 未送信 at counter-01; counter-02
//             lists all 12 cards and refuses page 2 (imported at another counter, ISS-2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = env('CONSOLE_URL');
const phase = env('CARDS_PHASE');
const jlisDir = env('JLIS_DIR');
const onlineAt = env('ONLINE_ISSUE_AT');
const offlineAt = env('OFFLINE_ISSUE_AT');
const COUNTER = '1';
const SHIPMENT = 'S-2026-11';

// The list as printed: every person with the page of their code, in code order.
const people = readFileSync(join(jlisDir, 'expected.jsonl'), 'utf8').split('\n').filter((l) => l)
  .flatMap((l) => {
    const code = JSON.parse(l);
    const page = Number(code.page.match(/(\d+)\.png$/)[1]);
    return code.people.map((p) => ({ ...p, page, pagePath: join(jlisDir, code.page) }));
  });
const page1 = people.filter((p) => p.page === 1);
const page2 = people.filter((p) => p.page === 2);
const dateTime = (at) => at.replace('T', ' ');

// Full-width katakana (ー・ and the ideographic space too) as half-width katakana, the way a
// clerk types with a half-width IME: NFD splits ガ into カ + U+3099, which becomes ﾞ.
const FULL = 'ァアィイゥウェエォオカキクケコサシスセソタチッツテトナニヌネノハヒフヘホマミムメモャヤュユョヨラリルレロワヲンー・\u3000\u3099\u309A';
const HALF = 'ｧｱｨｲｩｳｪｴｫｵｶｷｸｹｺｻｼｽｾｿﾀﾁｯﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓｬﾔｭﾕｮﾖﾗﾘﾙﾚﾛﾜｦﾝｰ･ ﾞﾟ';
assert.equal([...FULL].length, [...HALF].length);
const halfWidthKana = (s) => [...s.normalize('NFD')].map((ch) => {
  const i = [...FULL].indexOf(ch);
  if (i < 0) throw new Error(`no half-width form for ${ch}`);
  return [...HALF][i];
}).join('');

let context;
before(async () => {
  const parent = process.env.PROFILE_DIR || '/tmp';
  mkdirSync(parent, { recursive: true });
  const profile = mkdtempSync(join(parent, 'cards-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: env('CHROMIUM'),
    headless: true,
    locale: 'ja-JP',
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await context?.close(); });

// Both consoles are on 127.0.0.1 and cookies do not tell ports apart: one console at a time.
async function signedIn(base) {
  await context.clearCookies();
  for (const p of context.pages()) await p.close();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('ID').fill(env('CLERK_ID'));
  await page.getByLabel('パスワード').fill(env('CLERK_PASSWORD'));
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL(`${base}/`);
  return page;
}

// Opens 交付管理 from the menu (unfolding it first on a narrow screen, where it is a disclosure)
// and starts a QR import with the batch settings.
async function startImport(page, base, { counter, shipment, start }) {
  const nav = page.getByRole('navigation', { name: 'メインメニュー' });
  if (await nav.locator('summary').isVisible()) await nav.locator('summary').click();
  await nav.getByRole('link', { name: '交付管理' }).click();
  await page.waitForURL(`${base}/cards`);
  await page.getByRole('link', { name: '二次元コードを読み取る' }).click();
  await page.waitForURL(`${base}/cards/import`);
  await page.getByLabel('交付窓口').fill(counter);
  await page.getByLabel('発送番号').fill(shipment);
  await page.getByLabel('開始番号').fill(start);
  await page.getByRole('button', { name: '読み取りを始める' }).click();
  await page.waitForURL(`${base}/cards/import/session`);
}

// Uploads a page image through the file input; returns the session page's reads.
async function uploadPage(page, file) {
  await page.locator('#image').setInputFiles(file);
  await page.getByRole('button', { name: '画像から読み取る' }).click();
  await page.waitForURL(/\/cards\/import\/session\?found=\d+$/);
  return {
    found: new URL(page.url()).searchParams.get('found'),
    cue: await page.locator('#qr-import').getAttribute('data-cue'),
    entryCues: await page.locator('#qr-import section.import-entry').evaluateAll((els) => els.map((e) => e.dataset.cue)),
    entries: await page.locator('#qr-import section.import-entry').allTextContents(),
    heading: await page.locator('#qr-import h2', { hasText: '読み取った二次元コード' }).textContent(),
    rows: await page.locator('#qr-import section.import-entry tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.cells].map((td) => td.textContent))),
  };
}

// The people read, by manufacture number: [receipt, name, kana, birth date, manufacture no].
function assertRead(read, expected, firstReceipt) {
  assert.equal(read.found, '3');
  assert.equal(read.cue, 'accepted');
  assert.deepEqual(read.entryCues, ['accepted', 'accepted', 'accepted']);
  assert.match(read.heading, /取り込み予定 3枚・6人、取り込めない 0枚/);
  assert.equal(read.rows.length, expected.length);
  const byId = new Map(read.rows.map((r) => [r[4], r]));
  expected.forEach((p, i) => {
    const row = byId.get(p.card_serial);
    assert.ok(row, `${p.card_serial} was read`);
    assert.equal(row[0], String(firstReceipt + i), `receipt number of ${p.card_serial} follows the printed order`);
    assert.equal(row[1], p.name_kanji);
    assert.equal(row[2], p.name_kana);
  });
}

async function commit(page) {
  await page.getByRole('button', { name: '登録する' }).click();
  await page.waitForURL(/\/cards\/import\/commit$/);
  return page.locator('main [role="status"]').textContent();
}

// The list, searched with `query` (all cards by receipt number when empty).
async function listRows(page, base, query = 'sort=receipt_no') {
  await page.goto(`${base}/cards?${query}`);
  return page.locator('main table.data-table tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    receipt: tr.cells[1].textContent,
    id: tr.cells[2].textContent,
    name: tr.cells[3].textContent,
    counter: tr.cells[5].textContent,
    status: tr.cells[7].textContent,
  })));
}

async function recordIssue(page, base, id, at, note) {
  await page.goto(`${base}/cards?sort=receipt_no`);
  await page.getByRole('link', { name: id, exact: true }).click();
  await page.waitForURL(/\/cards\/view\?id=/);
  await page.getByRole('link', { name: '進捗を記録する' }).click();
  await page.waitForURL(/\/cards\/progress\?id=/);
  await page.locator('#kind').selectOption('issued');
  await page.locator('#date').fill(at.slice(0, 10));
  await page.locator('#time').fill(at.slice(11, 16));
  await page.locator('#counter').fill(COUNTER);
  await page.locator('#note').fill(note);
  await page.getByRole('button', { name: '記録する' }).click();
  await page.waitForURL(/\/cards\/view\?id=.*&done=progress$/);
  const main = await page.locator('main').textContent();
  assert.match(main, /進捗を記録しました。/);
  const status = await page.locator('tr', { has: page.locator('th', { hasText: /^状態$/ }) }).locator('td').textContent();
  assert.equal(status, '交付済');
  const issued = await page.locator('tr', { has: page.locator('th', { hasText: /^交付$/ }) }).textContent();
  assert.match(issued, new RegExp(`${dateTime(at)}（窓口 ${COUNTER}）`));
  assert.ok(issued.includes(note) && issued.includes(env('CLERK_ID')), issued);
  return main;
}

async function download(page, linkName) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: linkName }).click()]);
  assert.equal(await dl.failure(), null);
  return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
}

const count = (text, s) => text.split(s).length - 1;

if (phase === 'online') {
  let page;
  test('a clerk imports page 1 of the J-LIS list with 交付窓口, 発送番号 and 開始番号 (ISS-1, ISS-3)', async () => {
    page = await signedIn(url);
    await startImport(page, url, { counter: COUNTER, shipment: SHIPMENT, start: '1001' });
    const settings = await page.locator('dl.summary').textContent();
    assert.match(settings, /交付窓口1/);
    assert.match(settings, /発送番号S-2026-11/);
    assert.match(settings, /開始番号 1001、次に読み取る人は 1001/);
    const read = await uploadPage(page, page1[0].pagePath);
    assert.match(await page.locator('main').textContent(), /画像から3個の二次元コードを読み取りました。/);
    assertRead(read, page1, 1001);
    assert.match(await commit(page), /6人のカードを登録しました（二次元コード3枚）。受付番号は 1001〜1006 です。/);
  });

  test('the same page again is refused as already imported, with the refused cue (ISS-2)', async () => {
    await page.getByRole('link', { name: '同じ窓口・発送番号で続けて読み取る' }).click();
    assert.equal(await page.getByLabel('交付窓口').inputValue(), COUNTER);
    assert.equal(await page.getByLabel('発送番号').inputValue(), SHIPMENT);
    assert.equal(await page.getByLabel('開始番号').inputValue(), '1007');
    await page.getByRole('button', { name: '読み取りを始める' }).click();
    await page.waitForURL(`${url}/cards/import/session`);
    const read = await uploadPage(page, page1[0].pagePath);
    assert.equal(read.found, '3');
    assert.equal(read.cue, 'refused');
    assert.deepEqual(read.entryCues, ['refused', 'refused', 'refused']);
    for (const e of read.entries) assert.match(e, /この二次元コードはすでに取り込まれています/);
    assert.match(read.heading, /取り込み予定 0枚・0人、取り込めない 3枚/);
    assert.equal(read.rows.length, 0);
    assert.equal(await page.getByRole('button', { name: '登録する' }).count(), 0);
    await page.getByRole('button', { name: '取り消す' }).click();
    assert.match(await page.locator('main').textContent(), /取込を取り消しました。/);
  });

  test('the list shows page 1 with receipt numbers 1001.. in printed order', async () => {
    const rows = await listRows(page, url);
    assert.deepEqual(rows.map((r) => r.receipt), ['1001', '1002', '1003', '1004', '1005', '1006']);
    assert.deepEqual(rows.map((r) => r.id), page1.map((p) => p.card_serial));
    assert.deepEqual(rows.map((r) => r.name), page1.map((p) => p.name_kanji));
    for (const r of rows) {
      assert.equal(r.counter, COUNTER);
      assert.match(r.status, /^受入済/);
    }
  });

  test('an issuance is recorded for the first card and it shows 交付済 (ISS-8, ISS-9)', async () => {
    await recordIssue(page, url, page1[0].card_serial, onlineAt, '本人確認：運転免許証');
    const rows = await listRows(page, url);
    assert.match(rows[0].status, /^交付済/);
    assert.ok(rows.slice(1).every((r) => r.status.startsWith('受入済')));
  });

  test('a search by name in half-width katakana finds the person (ISS-5)', async () => {
    const target = page1[3];
    const query = halfWidthKana(target.name_kana);
    await page.goto(`${url}/cards`);
    await page.locator('#name').fill(query);
    await page.getByRole('button', { name: '検索する' }).click();
    await page.waitForURL(/\/cards\?.*name=/);
    const ids = await page.locator('main table.data-table tbody tr td:nth-child(3)').allTextContents();
    const squash = (s) => s.replace(/[\s\u3000]/g, '');
    const expected = page1.filter((p) => squash(p.name_kana).startsWith(squash(target.name_kana))).map((p) => p.card_serial);
    assert.ok(ids.includes(target.card_serial), `${query} finds ${target.card_serial}`);
    assert.deepEqual([...ids].sort(), [...expected].sort());
    assert.match(await page.locator('main [role="status"]').textContent(), new RegExp(`^${expected.length}件`));
  });

  test('the list is exported as CSV (UTF-8 and Shift_JIS) and as an Excel workbook (ISS-7)', async () => {
    await page.goto(`${url}/cards?sort=receipt_no`);
    const utf8 = await download(page, 'CSV（UTF-8、BOM付き）');
    assert.equal(utf8.name, 'cards.csv');
    assert.deepEqual([...utf8.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(utf8.bytes.subarray(3));
    const lines = text.split(/\r?\n/).filter((l) => l);
    assert.match(lines[0], /^製造番号,/);
    assert.equal(lines.length, 1 + page1.length);
    for (const p of page1) assert.equal(count(text, p.card_serial), 1, p.card_serial);
    for (const p of page2) assert.equal(count(text, p.card_serial), 0, p.card_serial);
    const issuedLine = lines.find((l) => l.startsWith(page1[0].card_serial));
    assert.ok(issuedLine.includes(dateTime(onlineAt)) && issuedLine.includes(SHIPMENT), issuedLine);

    const sjis = await download(page, 'CSV（Shift_JIS（CP932）、古いExcel向け）');
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(sjis.bytes), 'not UTF-8');
    const sjisText = new TextDecoder('shift_jis', { fatal: true }).decode(sjis.bytes);
    assert.match(sjisText, /^製造番号,/);
    for (const p of page1) {
      assert.equal(count(sjisText, p.card_serial), 1, p.card_serial);
      assert.ok(sjisText.includes(p.name_kanji), p.name_kanji);
    }

    const xlsx = await download(page, 'Excelブック（.xlsx）');
    assert.equal(xlsx.name, 'cards.xlsx');
    assert.equal(xlsx.bytes.subarray(0, 2).toString('latin1'), 'PK');
    assert.ok(xlsx.bytes.includes(Buffer.from('xl/worksheets/sheet1.xml')), 'a workbook with a sheet');
  });
}

if (phase === 'offline') {
  test('with the link cut, page 2 is imported and an issuance recorded, shown as 未送信 (EDGE-3)', async () => {
    const page = await signedIn(url);
    await startImport(page, url, { counter: COUNTER, shipment: SHIPMENT, start: '1007' });
    const read = await uploadPage(page, page2[0].pagePath);
    assertRead(read, page2, 1007);
    assert.match(await commit(page), /6人のカードを登録しました（二次元コード3枚）。受付番号は 1007〜1012 です。/);

    const main = await recordIssue(page, url, page2[0].card_serial, offlineAt, '回線断の間に交付');
    assert.match(main, /まだ本庁（ハブ）に届いていません/);

    const rows = await listRows(page, url);
    assert.deepEqual(rows.map((r) => r.receipt), Array.from({ length: 12 }, (_, i) => String(1001 + i)));
    assert.deepEqual(rows.map((r) => r.id), people.map((p) => p.card_serial));
    assert.equal(rows[0].status, '交付済', 'page 1 reached the hub before the cut');
    for (const r of rows.slice(1, 6)) assert.equal(r.status, '受入済');
    assert.equal(rows[6].status, '交付済（未送信）');
    for (const r of rows.slice(7)) assert.equal(r.status, '受入済（未送信）');
  });
}

if (phase === 'restored') {
  const expectedStatus = (i) => (i === 0 || i === 6 ? '交付済' : '受入済');

  test('with the link back, nothing is 未送信 at counter-01 (EDGE-3)', async () => {
    const page = await signedIn(url);
    const rows = await listRows(page, url);
    assert.deepEqual(rows.map((r) => r.id), people.map((p) => p.card_serial));
    rows.forEach((r, i) => assert.equal(r.status, expectedStatus(i), r.id));
  });

  test('counter-02 lists all 12 cards and refuses page 2, imported at another counter (ISS-2)', async () => {
    const base = env('CONSOLE2_URL');
    const page = await signedIn(base);
    const rows = await listRows(page, base);
    assert.deepEqual(rows.map((r) => r.receipt), Array.from({ length: 12 }, (_, i) => String(1001 + i)));
    assert.deepEqual(rows.map((r) => r.id), people.map((p) => p.card_serial));
    rows.forEach((r, i) => assert.equal(r.status, expectedStatus(i), r.id));

    await startImport(page, base, { counter: '2', shipment: SHIPMENT, start: '' });
    const read = await uploadPage(page, page2[0].pagePath);
    assert.equal(read.cue, 'refused');
    assert.deepEqual(read.entryCues, ['refused', 'refused', 'refused']);
    for (const e of read.entries) assert.match(e, /この二次元コードはすでに取り込まれています（この窓口またはほかの窓口で）/);
  });
}

if (phase === 'hub') {
  // 交付管理 at the hub's console (issue 14): the same pages as at a counter, over the hub's records.
  const hubUrl = env('HUB_CONSOLE_URL');
  const hubDir = env('JLIS_HUB_DIR');
  const hubAt = env('HUB_ISSUE_AT');
  const hubPeople = readFileSync(join(hubDir, 'expected.jsonl'), 'utf8').split('\n').filter((l) => l)
    .flatMap((l) => {
      const code = JSON.parse(l);
      const pageNo = Number(code.page.match(/(\d+)\.png$/)[1]);
      return code.people.map((p) => ({ ...p, page: pageNo, pagePath: join(hubDir, code.page) }));
    });
  const runs = [
    { width: 1280, height: 900, pageNo: 1, start: 2001, note: 'ハブで交付（パソコン）' },
    { width: 390, height: 844, pageNo: 2, start: 2005, note: 'ハブで交付（スマートフォン）' },
  ];
  for (const run of runs) {
    test(`at the hub's console, ${run.width} px wide: page ${run.pageNo} imported, searched, a person issued, the list exported (issue 14)`, async () => {
      const people = hubPeople.filter((p) => p.page === run.pageNo);
      const page = await signedIn(hubUrl);
      await page.setViewportSize({ width: run.width, height: run.height });
      await startImport(page, hubUrl, { counter: '2', shipment: 'S-2026-12', start: String(run.start) });
      const read = await uploadPage(page, people[0].pagePath);
      assert.equal(read.found, '2');
      assert.deepEqual(read.entryCues, ['accepted', 'accepted']);
      assert.match(read.heading, /取り込み予定 2枚・4人、取り込めない 0枚/);
      assert.match(await commit(page), new RegExp(`4人のカードを登録しました（二次元コード2枚）。受付番号は ${run.start}〜${run.start + 3} です。`));
      if (run.width === 390) {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
      }

      const target = people[1];
      await page.goto(`${hubUrl}/cards`);
      await page.locator('#name').fill(halfWidthKana(target.name_kana));
      await page.getByRole('button', { name: '検索する' }).click();
      await page.waitForURL(/\/cards\?.*name=/);
      const ids = await page.locator('main table.data-table tbody tr td:nth-child(3)').allTextContents();
      assert.ok(ids.includes(target.card_serial), `the search finds ${target.card_serial}`);

      await recordIssue(page, hubUrl, people[0].card_serial, hubAt, run.note);
      await page.goto(`${hubUrl}/cards?sort=receipt_no`);
      const csv = await download(page, 'CSV（UTF-8、BOM付き）');
      const text = new TextDecoder('utf-8', { fatal: true }).decode(csv.bytes.subarray(3));
      for (const p of people) assert.equal(count(text, p.card_serial), 1, p.card_serial);
      const issuedLine = text.split(/\r?\n/).find((l) => l.startsWith(people[0].card_serial));
      assert.ok(issuedLine.includes(dateTime(hubAt)) && issuedLine.includes(run.note), issuedLine);
    });
  }

  test('counter-02 lists what was done at the hub\'s console, issued (issue 14)', async () => {
    const base = env('CONSOLE2_URL');
    const page = await signedIn(base);
    const issued = runs.map((run) => hubPeople.find((p) => p.page === run.pageNo).card_serial);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rows = await listRows(page, base);
      const status = (id) => rows.find((r) => r.id === id)?.status;
      if (issued.every((id) => status(id) === '交付済') && hubPeople.every((p) => status(p.card_serial))) break;
      if (Date.now() > deadline) assert.fail(`counter-02 shows ${JSON.stringify(rows.filter((r) => r.receipt >= '2001'))}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });
}
