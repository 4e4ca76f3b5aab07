// 交付管理: the imports (ISS-1 to ISS-4, ISS-13, ISS-14). See console_app.h.
//
//   GET  /cards/import                 the batch form (交付窓口, 発送番号, 開始番号)
//   POST /cards/import/start           opens the staff session's QR import session
//   GET  /cards/import/session         takes the scanner's waiting reads, shows every code read;
//        /cards/import/session?poll=1  the same, answered as {"version":N} for console.js
//   POST /cards/import/image           (multipart) reads every code on a scanned page image
//   POST /cards/import/commit          writes the accepted people as cards + the code records in
//                                      one transaction
//   POST /cards/import/cancel          discards the session
//   GET  /cards/ledger, POST /cards/ledger (multipart) → preview, POST /cards/ledger/apply
//   GET  /cards/renewal, POST /cards/renewal (multipart) → preview, POST /cards/renewal/apply
//
// A code is refused (ISS-2) when it does not parse, was read before in the session, has an
// imported-code record (imported before, here or at another counter), or holds a person already
// on record. The operation log gets counts and code keys, never a name.
#include <algorithm>
#include <charconv>
#include <chrono>

#include <mstch/mstch.hpp>
#include <nlohmann/json.hpp>

#include "madoguchi/console/app/console_app.h"
#include "madoguchi/domain/card_csv.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/jlis/qr_payload.h"
#include "madoguchi/text/csv.h"
#include "madoguchi/text/normalize.h"
#include "card_imports.h"
#include "internal.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

// Codes one QR import session holds (20 people each at most): a whole delivery of a mid-sized
// city, still small in memory. Past it reads are refused until the session is committed.
constexpr std::size_t kMaxEntries = 2000;
constexpr std::size_t kLedgerPreviewRows = 20;
constexpr std::size_t kRenewalPreviewRows = 200;
// Candidates looked at for one renewal line without a manufacture number (same name reading).
constexpr std::size_t kMaxRenewalCandidates = 200;

std::string query_value(const http::Request& r, const std::string& name) {
  auto it = r.query.find(name);
  return it == r.query.end() ? std::string() : it->second.substr(0, 64);
}

std::string code_label(const jlis::QrHeader& h) {
  return "作成日 " + domain::iso_date(h.list_date) + "・シート " + std::to_string(h.sheet_number) + "・コード " +
         std::to_string(h.code_index) + "/" + std::to_string(h.code_count);
}

std::string scanner_state_text(const std::string& state) {
  if (state == "connected") return "接続済み（読み取りできます）";
  if (state == "waiting_for_device") return "スキャナの接続を待っています（USBケーブルと電源を確かめてください）";
  if (state == "stopped") return "停止中";
  return state;
}

// The file part named `name`, or nullptr (none chosen). More than one: *many = true.
const text::Part* file_part(const std::vector<text::Part>& parts, std::string_view name, bool* many) {
  const text::Part* file = nullptr;
  for (const text::Part& p : parts) {
    if (p.name == name && p.filename) {
      if (file) *many = true;
      file = &p;
    }
  }
  if (file && file->filename->empty() && file->data.empty()) return nullptr;
  return file;
}

// Why one read is refused, for the operation log (English, no personal data).
struct Outcome {
  std::string log_reason;  // empty: accepted
  std::string key;         // the code's record key when it parsed
};

// Reads one code into the session (ISS-1, ISS-2, ISS-3). Errors: the store failed.
Expected<Outcome> read_code(QrSession& s, CardStore& cards, std::string_view raw, bool from_image,
                            std::int64_t now_ms) {
  QrRead e;
  e.version = s.version;
  e.from_image = from_image;
  e.at_ms = now_ms;
  Outcome out;
  auto refuse = [&](std::string reason, std::string log_reason) {
    e.accepted = false;
    e.reason = std::move(reason);
    e.cards.clear();
    out.log_reason = std::move(log_reason);
  };
  static const jlis::JlisQrV1Parser parser;
  auto payload = parser.parse(raw);
  if (!payload) {
    e.label = "読み取れない二次元コード";
    refuse(payload.error().message, "malformed");
  } else {
    e.code = jlis::code_key(payload->header);
    e.label = code_label(payload->header);
    out.key = domain::imported_code_key(e.code);
    e.accepted = true;
    if (s.codes.count(e.code)) {
      refuse("この二次元コードは、この取込ですでに読み取っています（2回目の読み取りです）。同じコードは一度しか取り込めません。",
             "read twice");
    }
    if (e.accepted) {
      auto done = cards.imported_codes({out.key});
      if (!done) return done.error();
      if (!done->empty()) {
        refuse("この二次元コードはすでに取り込まれています（この窓口またはほかの窓口で）。同じコードは二度取り込めません。",
               "already imported");
      }
    }
    for (std::size_t i = 0; e.accepted && i < payload->people.size(); ++i) {
      const std::string nth = std::to_string(i + 1) + "件目";
      auto receipt = domain::batch_receipt_no(s.batch, s.numbered + i);
      if (!receipt) {
        refuse("受付番号が12桁を超えてしまいます。開始番号を見直して、新しい取込で読み取ってください。", "numbering");
        break;
      }
      auto card = domain::card_from_target(payload->people[i], s.batch, *receipt, now_ms);
      if (!card) {
        refuse(nth + "の人の内容をカードとして登録できません。J-LISに確認してください。", "not a card");
        break;
      }
      if (s.people.count(card->manufacture_no) || s.people.count(card->application_id)) {
        refuse(nth + "の人は、この取込で先に読み取った別の二次元コードにも載っています。", "person read twice");
        break;
      }
      e.cards.push_back(std::move(*card));
    }
    if (e.accepted) {
      auto on_record = cards.existing(e.cards);
      if (!on_record) return on_record.error();
      if (!on_record->empty()) {
        std::string which;
        for (std::size_t i = 0; i < e.cards.size(); ++i) {
          if (std::find(on_record->begin(), on_record->end(), e.cards[i].manufacture_no) != on_record->end()) {
            which += (which.empty() ? "" : "・") + std::to_string(i + 1) + "件目（製造番号 " + e.cards[i].manufacture_no + "）";
          }
        }
        refuse(which + "の人は、すでにカードが登録されています。二次元コードごと取り込みませんでした。", "on record");
      }
    }
  }
  if (e.accepted) {
    s.codes.insert(e.code);
    for (const domain::Card& k : e.cards) {
      s.people.insert(k.manufacture_no);
      if (!k.application_id.empty()) s.people.insert(k.application_id);
    }
    s.numbered += e.cards.size();
  }
  s.entries.push_back(std::move(e));
  return out;
}

// Turns a refused read's log reason and key into the operation log's target and detail.
std::string code_target(const Outcome& o) { return o.key.empty() ? std::string("jlis_code") : "jlis_code/" + o.key; }

mstch::map session_content(const QrSession& s, const CardServices& services, const ConsoleOptions& options) {
  mstch::array entries;
  std::size_t accepted_codes = 0, accepted_people = 0, refused = 0;
  for (std::size_t i = 0; i < s.entries.size(); ++i) {
    const auto& e = s.entries[i];
    e.accepted ? (++accepted_codes, accepted_people += e.cards.size()) : ++refused;
  }
  // Newest first: the read just made is at the top, next to the status line.
  for (std::size_t n = s.entries.size(); n-- > 0;) {
    const auto& e = s.entries[n];
    mstch::array people;
    for (const domain::Card& k : e.cards) {
      people.push_back(mstch::map{{"receipt_no", k.receipt_no ? std::to_string(k.receipt_no) : std::string("（なし）")},
                                  {"name_kanji", k.name_kanji},
                                  {"name_kana", k.name_kana},
                                  {"birth_date", k.birth_date},
                                  {"manufacture_no", k.manufacture_no}});
    }
    entries.push_back(mstch::map{{"index", std::to_string(n + 1)},
                                 {"label", e.label},
                                 {"origin", std::string(e.from_image ? "画像" : "スキャナ")},
                                 {"time", jst_time(e.at_ms).substr(11)},
                                 {"accepted", e.accepted},
                                 {"cue", std::string(e.accepted ? "accepted" : "refused")},
                                 {"reason", e.reason},
                                 {"people_count", std::to_string(e.cards.size())},
                                 {"people", std::move(people)}});
  }
  // The cue of the newest step: refused when any read of it was refused.
  std::string cue = "none";
  for (const auto& e : s.entries) {
    if (e.version != s.version) continue;
    if (!e.accepted) cue = "refused";
    if (e.accepted && cue == "none") cue = "accepted";
  }
  mstch::map content{{"version", std::to_string(s.version)},
                     {"cue", cue},
                     {"counter", s.batch.counter},
                     {"shipment_no", s.batch.shipment_no},
                     {"numbered", s.batch.start_serial.has_value()},
                     {"start_serial", s.batch.start_serial ? std::to_string(*s.batch.start_serial) : std::string()},
                     {"has_entries", !s.entries.empty()},
                     {"entries", std::move(entries)},
                     {"accepted_codes", std::to_string(accepted_codes)},
                     {"accepted_people", std::to_string(accepted_people)},
                     {"refused_codes", std::to_string(refused)},
                     {"can_commit", accepted_people > 0},
                     {"can_decode", static_cast<bool>(services.decode_page)},
                     {"max_upload_mb", std::to_string(options.max_card_upload_bytes / (1024 * 1024))},
                     {"max_entries", std::to_string(kMaxEntries)},
                     {"script_url", web::static_js_url()}};
  if (s.batch.start_serial) {
    auto next = domain::batch_receipt_no(s.batch, s.numbered);
    content.emplace("next_receipt", next ? std::to_string(*next) : std::string("（上限を超えました）"));
  }
  if (!s.entries.empty()) {
    const auto& last = s.entries.back();
    content.emplace("has_latest", true);
    content.emplace("latest_accepted", last.accepted);
    content.emplace("latest_people", std::to_string(last.cards.size()));
    content.emplace("latest_reason", last.reason);
  }
  if (s.dropped) content.emplace("dropped", std::to_string(s.dropped));
  if (s.overflow) content.emplace("overflow", std::to_string(s.overflow));
  if (services.scanner_status) {
    const ScannerStatus st = services.scanner_status();
    if (st.configured) {
      content.emplace("scanner", true);
      content.emplace("scanner_state", scanner_state_text(st.state));
      content.emplace("scanner_scans", std::to_string(st.scans));
      content.emplace("scanner_errors", std::to_string(st.errors));
    }
  }
  return content;
}

std::optional<text::Encoding> encoding_choice(const std::string& enc, bool* bad) {
  if (enc == "utf8") return text::Encoding::utf8;
  if (enc == "cp932") return text::Encoding::cp932;
  if (!enc.empty() && enc != "auto") *bad = true;
  return std::nullopt;
}

text::CsvOptions card_csv_options(const ConsoleOptions& options, std::size_t max_rows) {
  text::CsvOptions csv;
  csv.max_bytes = 4 * options.max_card_upload_bytes;  // decoded CP932 may grow (csv.h)
  csv.max_rows = max_rows + 1;
  csv.max_fields = 128;
  csv.max_field_bytes = 4096;
  return csv;
}

// A renewal line's card among the store's, or why none (ISS-4). Errors: the store failed.
struct RenewalMatch {
  std::optional<domain::Card> card;
  std::string reason;
};
Expected<RenewalMatch> match_line(CardStore& cards, const domain::RenewalLine& line) {
  std::vector<domain::Card> candidates;
  if (!line.manufacture_no.empty()) {
    auto row = cards.get(line.manufacture_no);
    if (!row) return row.error();
    if (*row) candidates.push_back((*row)->card);
  } else {
    CardQuery q;
    q.name = line.name_kana;
    q.sort = CardSort::manufacture_no;
    auto st = cards.for_each(q, [&](const CardRow& r) {
      if (r.card.birth_date == line.birth_date) candidates.push_back(r.card);
      return candidates.size() < kMaxRenewalCandidates;
    });
    if (!st && st.error().code != Errc::invalid_argument) return st.error();
  }
  RenewalMatch m;
  auto i = domain::match_renewal_line(line, candidates, &m.reason);
  if (i) {
    m.card = candidates[*i];
  } else if (m.reason.empty()) {
    m.reason = "該当するカードが見つかりません。";
  }
  return m;
}


class CardImportPages final : public PageModule {
 public:
  CardImportPages(Shell& shell, CardStore& cards, const CardServices& services)
      : PageModule(shell), cards_(cards), services_(services) {}

  void add_routes(RouteTable& routes) override {
    // 交付管理 (ISS): the cards menu decides, on every request (SEC-2).
    auto add = [&](Route::Methods methods, std::string path, http::Response (Call::*handler)(), std::size_t upload = 0) {
      Route r = call_route(this, methods, std::move(path), handler, {domain::Menu::cards});
      r.upload_bytes = upload;
      r.poll_is_idle = r.path == "/cards/import/session";
      routes.add(std::move(r));
    };
    const std::size_t upload = options_.max_card_upload_bytes;
    add(Route::Methods::get, "/cards/import", &Call::batch_page);
    add(Route::Methods::post, "/cards/import/start", &Call::start);
    add(Route::Methods::get, "/cards/import/session", &Call::session);
    add(Route::Methods::post, "/cards/import/image", &Call::image, upload);
    add(Route::Methods::post, "/cards/import/commit", &Call::commit);
    add(Route::Methods::post, "/cards/import/cancel", &Call::cancel);
    for (const char* base : {"/cards/ledger", "/cards/renewal"}) {
      add(Route::Methods::get, base, &Call::upload_form);
      add(Route::Methods::post, base, &Call::upload, upload);
      add(Route::Methods::post, std::string(base) + "/apply", &Call::apply);
    }
  }

 private:
  // One request to the import screens: the person's QR import session, and the helpers.
  struct Call : PageCall {
    Call(CardImportPages& pages_in, Context& ctx);

    CardImportPages& st;
    CardStore* cards_;
    const CardServices& card_services_;
    const ConsoleOptions& options_;
    const std::string staff;
    const std::string& sid;
    QrSession* qs = nullptr;
    const bool polling;  // the session page's poll (console.js): not activity
    const std::string qr_title = "二次元コードの読み取り";
    // The CSV imports: the ledger (ISS-14) or the renewal list (ISS-4).
    const bool renewal;
    const std::string csv_title;
    const std::string base;

    http::Response message(const std::string& title, const std::string& text, int status, const std::string& next_url,
                           const std::string& next_label);

    // ---- QR import (ISS-1, ISS-2, ISS-3) ----
    http::Response batch_page();
    http::Response start();
    http::Response session();
    http::Response image();
    http::Response commit();
    http::Response cancel();
    // ---- ledger and renewal list CSV imports ----
    http::Response upload_form() { return upload_page("", {}, 200); }
    http::Response upload();
    http::Response apply();

   private:
    http::Response batch_form(const mstch::map& values, const std::vector<web::FieldError>& errors, int status);
    std::optional<http::Response> no_session();
    Status add_reads(const std::vector<std::string>& raws, bool from_image);
    Status take_scans();
    http::Response session_page(mstch::map extra, int status);
    // Drops from the commit what another counter imported since it was read here; true if any.
    Expected<bool> drop_imported_meanwhile(std::vector<domain::Card>& all, std::vector<std::string>& keys);

    http::Response upload_page(const std::string& list_name, const std::vector<web::FieldError>& errors, int status);
    Expected<text::CsvRows> read_rows(std::string_view bytes, std::optional<text::Encoding> enc);
    // The ledger's plan with the cards already on record as errors.
    Expected<domain::CardImportPlan> ledger_plan(const domain::CsvRows& rows);
    // Every line's match, and the fingerprint of the matched pairs.
    struct Matched {
      std::vector<std::pair<const domain::RenewalLine*, domain::Card>> matched;
      std::vector<std::pair<const domain::RenewalLine*, std::string>> unmatched;
      std::string fingerprint;
    };
    Expected<Matched> renewal_matches(const domain::RenewalPlan& plan);
    std::string keep_pending(PendingCardCsv p);
    std::string ttl_minutes() const {
      return std::to_string(std::chrono::duration_cast<std::chrono::minutes>(options_.pending_import_ttl).count());
    }
    http::Response ledger_preview(text::CsvRows rows, PendingCardCsv pending);
    http::Response renewal_preview(text::CsvRows rows, PendingCardCsv pending);
    // The cards the confirmed file writes, planned again from its bytes; nullopt when the result is
    // not the one the preview showed.
    Expected<std::optional<std::vector<domain::Card>>> confirmed_writes(PendingCardCsv& pending);
  };

  CardStore& cards_;
  const CardServices& services_;
  std::map<std::string, QrSession> qr_;             // by web session id
  std::map<std::string, PendingCardCsv> pending_;   // by random token
};

CardImportPages::Call::Call(CardImportPages& pages_in, Context& ctx)
    : PageCall(pages_in, ctx),
      st(pages_in),
      cards_(&pages_in.cards_),
      card_services_(pages_in.services_),
      options_(pages_in.options_),
      staff(ctx.account->id),
      sid(ctx.session->id),
      polling(path == "/cards/import/session" && query_value(ctx.req, "poll") == "1"),
      renewal(path.rfind("/cards/renewal", 0) == 0),
      csv_title(renewal ? "更新対象リストの取込" : "台帳CSVの取込"),
      base(renewal ? "/cards/renewal" : "/cards/ledger") {
  // Idle QR sessions go after card_import_ttl; previews after pending_import_ttl.
  auto& qr = st.qr_;
  for (auto it = qr.begin(); it != qr.end();) {
    it = c.now - it->second.last_used >= options_.card_import_ttl ? qr.erase(it) : std::next(it);
  }
  for (auto it = st.pending_.begin(); it != st.pending_.end();) {
    it = it->second.expires <= c.now ? st.pending_.erase(it) : std::next(it);
  }
  const auto found = qr.find(sid);
  qs = found == qr.end() ? nullptr : &found->second;
  // A scan the poll takes is activity (take_scans); the poll itself is not.
  if (qs && !polling) qs->last_used = c.now;
}

http::Response CardImportPages::Call::message(const std::string& title, const std::string& text, int status,
                                              const std::string& next_url, const std::string& next_label) {
  mstch::map m{{"message", text}};
  if (!next_url.empty()) {
    m.emplace("next_url", next_url);
    m.emplace("next_label", next_label);
  }
  return content_page(c, title, domain::Menu::cards, "message", std::move(m), status);
}

http::Response CardImportPages::Call::batch_form(const mstch::map& values, const std::vector<web::FieldError>& errors,
                                                 int status) {
  mstch::map content = values;
  content.insert_or_assign("open_session", qs != nullptr);
  (void)web::add_field_errors(content, errors);
  return content_page(c, qr_title, domain::Menu::cards, "card_import", std::move(content), status);
}

http::Response CardImportPages::Call::batch_page() {
  return batch_form(mstch::map{{"counter", query_value(c.req, "counter")},
                               {"shipment_no", query_value(c.req, "shipment_no")},
                               {"start_serial", query_value(c.req, "start")}},
                    {}, 200);
}

http::Response CardImportPages::Call::start() {
  const auto& f = *c.form;
  domain::ImportBatch batch{f.value("counter"), f.value("shipment_no"), std::nullopt};
  const std::string start = f.value("start_serial");
  std::vector<web::FieldError> errors;
  if (!start.empty()) {
    auto n = parse_decimal12(start);
    if (!n || *n == 0) {
      errors.push_back({"start_serial", "開始番号は1以上の半角数字（12桁まで）で入力するか、空欄にしてください。"});
    } else {
      batch.start_serial = *n;
    }
  }
  if (errors.empty()) {
    if (auto valid = domain::validate_import_batch(batch); !valid) {
      const std::string& m = valid.error().message;
      if (m.rfind("counter:", 0) == 0) {
        errors.push_back({"counter", "交付窓口を32文字以内で入力してください（制御文字は使えません）。"});
      } else if (m.rfind("shipment_no:", 0) == 0) {
        errors.push_back({"shipment_no", "発送番号は32文字以内で入力してください（制御文字は使えません）。"});
      } else {
        errors.push_back({"start_serial", "開始番号は1以上の半角数字（12桁まで）で入力するか、空欄にしてください。"});
      }
    }
  }
  mstch::map values{{"counter", batch.counter}, {"shipment_no", batch.shipment_no}, {"start_serial", start}};
  if (!errors.empty()) return batch_form(values, errors, 422);
  if (qs && !qs->codes.empty()) {
    return message(qr_title, "読み取り中の取込に、まだ登録していない二次元コードがあります。先に登録するか取り消してください。", 409,
                   "/cards/import/session", "読み取り画面に戻る");
  }
  if (!qs && st.qr_.size() >= options_.max_card_import_sessions) {
    return message(qr_title, "同時に開ける取込の数の上限に達しています。ほかの職員の取込が終わるまで、しばらく待ってください。", 503,
                   "/cards", "カード一覧へ戻る");
  }
  QrSession fresh;
  fresh.last_used = c.now;
  fresh.batch = std::move(batch);
  st.qr_[sid] = std::move(fresh);
  return with_headers(web::see_other("/cards/import/session"), c.headers);
}

// Without an open session: the page that says so (the poll's JSON answer for the poll).
std::optional<http::Response> CardImportPages::Call::no_session() {
  if (qs) return std::nullopt;
  if (polling) return with_headers(http::Response::json(200, "{\"version\":0,\"open\":false}"), c.headers);
  return message(qr_title, "読み取り中の取込はありません（時間が経って終了したか、登録または取り消し済みです）。",
                 path == "/cards/import/session" ? 200 : 409, "/cards/import", "新しい取込を始める");
}

Status CardImportPages::Call::add_reads(const std::vector<std::string>& raws, bool from_image) {
  if (raws.empty()) return {};
  QrSession& s = *qs;
  ++s.version;
  for (const std::string& raw : raws) {
    if (s.entries.size() >= kMaxEntries) {
      ++s.overflow;
      continue;
    }
    auto o = read_code(s, *cards_, raw, from_image, c.wall_ms);
    if (!o) return o.error();
    if (!o->log_reason.empty()) log("card.import_refused", staff, code_target(*o), o->log_reason);
  }
  return {};
}

Status CardImportPages::Call::take_scans() {
  if (!card_services_.scans) return {};
  QrSession& s = *qs;
  std::vector<std::string> raws;
  for (Scan& scan : card_services_.scans->take_all()) raws.push_back(std::move(scan.bytes));
  if (const auto d = card_services_.scans->take_dropped(); d) {
    s.dropped += d;
    ++s.version;
  }
  if (!raws.empty()) s.last_used = c.now;
  return add_reads(raws, false);
}

http::Response CardImportPages::Call::session_page(mstch::map extra, int status) {
  mstch::map content = session_content(*qs, card_services_, options_);
  for (auto& [k, v] : extra) content.insert_or_assign(k, std::move(v));
  return content_page(c, qr_title, domain::Menu::cards, "card_import_session", std::move(content), status);
}

http::Response CardImportPages::Call::session() {
  if (auto page = no_session()) return std::move(*page);
  if (!take_scans()) return error(c, 503);
  if (polling) {
    return with_headers(http::Response::json(200, "{\"version\":" + std::to_string(qs->version) + ",\"open\":true}"),
                        c.headers);
  }
  mstch::map extra;
  if (const std::string found_n = query_value(c.req, "found"); !found_n.empty()) {
    extra.emplace("notice", found_n == "0" ? std::string("画像から二次元コードが見つかりませんでした。画像の向きと解像度（300dpi以上）を確かめてください。")
                                           : "画像から" + found_n + "個の二次元コードを読み取りました。");
  }
  return session_page(std::move(extra), 200);
}

http::Response CardImportPages::Call::image() {
  if (auto page = no_session()) return std::move(*page);
  if (!card_services_.decode_page) return error(c, 404);
  bool many = false;
  const text::Part* file = file_part(c.parts, "image", &many);
  if (many) return error(c, 400);
  if (!file) return session_page(mstch::map{{"problem", std::string("読み取る画像ファイルを選んでください。")}}, 422);
  if (file->data.size() > options_.max_card_upload_bytes) {
    return session_page(mstch::map{{"problem", std::string("画像が大きすぎます。")}}, 413);
  }
  auto codes = card_services_.decode_page(file->data);
  if (!codes) {
    if (codes.error().code != Errc::invalid_argument) return error(c, 500);
    return session_page(mstch::map{{"problem", "画像を読み取れませんでした。" + codes.error().message}}, 422);
  }
  if (!take_scans() || !add_reads(*codes, true)) return error(c, 503);
  return with_headers(web::see_other("/cards/import/session?found=" + std::to_string(codes->size())), c.headers);
}

http::Response CardImportPages::Call::cancel() {
  if (auto page = no_session()) return std::move(*page);
  const std::size_t codes = qs->codes.size();
  st.qr_.erase(sid);
  if (codes) log("card.import", staff, "cards", "cancelled, " + std::to_string(codes) + " codes not imported");
  return message(qr_title, "取込を取り消しました。読み取った内容は登録されていません。", 200, "/cards/import",
                 "新しい取込を始める");
}

Expected<bool> CardImportPages::Call::drop_imported_meanwhile(std::vector<domain::Card>& all, std::vector<std::string>& keys) {
  QrSession& s = *qs;
  auto done = cards_->imported_codes(keys);
  if (!done) return done.error();
  auto on_record = cards_->existing(all);
  if (!on_record) return on_record.error();
  if (done->empty() && on_record->empty()) return false;
  ++s.version;
  for (auto& e : s.entries) {
    if (!e.accepted) continue;
    bool clash = std::find(done->begin(), done->end(), domain::imported_code_key(e.code)) != done->end();
    for (const domain::Card& k : e.cards) {
      clash = clash || std::find(on_record->begin(), on_record->end(), k.manufacture_no) != on_record->end();
    }
    if (!clash) continue;
    e.accepted = false;
    e.version = s.version;
    e.reason = "読み取ったあとに、ほかの窓口でこの二次元コードまたはその人のカードが登録されました。取り込みませんでした。";
    e.cards.clear();
    s.codes.erase(e.code);
    log("card.import_refused", staff, "jlis_code/" + domain::imported_code_key(e.code), "imported meanwhile");
  }
  return true;
}

// Commit: only what the page showed (its version), all or nothing.
http::Response CardImportPages::Call::commit() {
  if (auto page = no_session()) return std::move(*page);
  QrSession& s = *qs;
  if (c.form->value("version") != std::to_string(s.version)) {
    return session_page(mstch::map{{"problem", std::string("画面を表示したあとに新しい読み取りがありました。内容を確かめてから、もう一度「登録する」を押してください。")}},
                        409);
  }
  std::vector<domain::Card> all;
  std::vector<domain::ImportedCode> codes;
  std::vector<std::string> keys;
  for (const auto& e : s.entries) {
    if (!e.accepted) continue;
    all.insert(all.end(), e.cards.begin(), e.cards.end());
    codes.push_back(domain::ImportedCode{e.code, c.wall_ms, e.cards.size()});
    keys.push_back(domain::imported_code_key(e.code));
  }
  if (all.empty()) {
    return session_page(mstch::map{{"problem", std::string("登録できる読み取り結果がありません。")}}, 422);
  }
  // Another counter may have imported a code or a person since it was read here.
  auto dropped = drop_imported_meanwhile(all, keys);
  if (!dropped) return error(c, 503);
  if (*dropped) {
    return session_page(mstch::map{{"problem", std::string("ほかの窓口で先に登録された二次元コードがあったため、取り込み予定から外しました。内容を確かめて、もう一度「登録する」を押してください。")}},
                        409);
  }
  if (auto saved = cards_->save_import(all, codes, c.wall_ms); !saved) {
    return session_page(mstch::map{{"problem", std::string("保存できませんでした。1人も登録されていません。しばらくしてから、もう一度「登録する」を押してください。")}},
                        503);
  }
  log("card.import", staff, "cards", std::to_string(codes.size()) + " codes, " + std::to_string(all.size()) + " cards");
  std::string text = std::to_string(all.size()) + "人のカードを登録しました（二次元コード" + std::to_string(codes.size()) + "枚）。";
  std::string next = "/cards/import";
  std::uint64_t first = 0, last = 0;
  for (const domain::Card& k : all) {
    if (!k.receipt_no) continue;
    first = first ? std::min(first, k.receipt_no) : k.receipt_no;
    last = std::max(last, k.receipt_no);
  }
  if (first) text += "受付番号は " + std::to_string(first) + "〜" + std::to_string(last) + " です。";
  next += "?counter=" + percent_encode(s.batch.counter) + "&shipment_no=" + percent_encode(s.batch.shipment_no);
  if (last && last < domain::kMaxReceiptNo) next += "&start=" + std::to_string(last + 1);
  st.qr_.erase(sid);
  return message(qr_title, text, 200, next, "同じ窓口・発送番号で続けて読み取る");
}

// ---- Ledger (ISS-14) and renewal list (ISS-4) CSV imports ----

http::Response CardImportPages::Call::upload_page(const std::string& list_name, const std::vector<web::FieldError>& errors,
                                                  int status) {
  mstch::map content{{"renewal", renewal},
                     {"action", base},
                     {"list_name", list_name},
                     {"max_upload_mb", std::to_string(options_.max_card_upload_bytes / (1024 * 1024))}};
  (void)web::add_field_errors(content, errors);
  return content_page(c, csv_title, domain::Menu::cards, "card_csv_upload", std::move(content), status);
}

Expected<text::CsvRows> CardImportPages::Call::read_rows(std::string_view bytes, std::optional<text::Encoding> enc) {
  return text::read_csv_bytes(bytes, enc,
                              card_csv_options(options_, renewal ? domain::kMaxRenewalCsvRows : domain::kMaxCardCsvRows));
}

Expected<domain::CardImportPlan> CardImportPages::Call::ledger_plan(const domain::CsvRows& rows) {
  domain::CardImportPlan plan = domain::plan_card_import(rows, c.wall_ms);
  std::vector<domain::Card> planned;
  planned.reserve(plan.cards.size());
  for (const auto& p : plan.cards) planned.push_back(p.card);
  auto on_record = cards_->existing(planned);
  if (!on_record) return on_record.error();
  domain::add_already_on_record(plan, *on_record);
  return plan;
}

Expected<CardImportPages::Call::Matched> CardImportPages::Call::renewal_matches(const domain::RenewalPlan& plan) {
  Matched m;
  for (const domain::RenewalLine& line : plan.lines) {
    auto r = match_line(*cards_, line);
    if (!r) return r.error();
    if (r->card) {
      m.fingerprint += std::to_string(line.line) + ":" + r->card->manufacture_no + ";";
      m.matched.emplace_back(&line, std::move(*r->card));
    } else {
      m.unmatched.emplace_back(&line, std::move(r->reason));
    }
  }
  return m;
}

std::string CardImportPages::Call::keep_pending(PendingCardCsv p) {
  auto& pending = st.pending_;
  for (auto it = pending.begin(); it != pending.end();) {
    it = it->second.session_id == sid ? pending.erase(it) : std::next(it);
  }
  while (!pending.empty() && pending.size() >= options_.max_pending_imports) {
    auto oldest = std::min_element(pending.begin(), pending.end(),
                                   [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    pending.erase(oldest);
  }
  const std::string token = web::random_token();
  pending[token] = std::move(p);
  return token;
}

http::Response CardImportPages::Call::upload() {
  const std::string list_name = renewal ? c.form->value("list_name") : std::string();
  std::vector<web::FieldError> errors;
  if (renewal) {
    domain::Card probe;
    probe.renewal = domain::Renewal{list_name, "card", "2026-01-01", 0};
    probe.manufacture_no = "0000000000000000";
    probe.name_kanji = "-";
    probe.birth_date = "2000-01-01";
    if (!domain::validate_card(probe)) errors.push_back({"list_name", "リスト名を32文字以内で入力してください。"});
  }
  bool many = false;
  const text::Part* file = file_part(c.parts, "file", &many);
  if (many) return error(c, 400);
  if (!file) {
    errors.push_back({"file", "取り込むCSVファイルを選んでください。"});
  } else if (file->data.size() > options_.max_card_upload_bytes) {
    errors.push_back({"file", "ファイルが大きすぎます。分けてから取り込んでください。"});
  } else if (file->data.empty()) {
    errors.push_back({"file", "ファイルが空です。"});
  }
  bool bad_encoding = false;
  const auto enc = encoding_choice(c.form->value("encoding"), &bad_encoding);
  if (bad_encoding) return error(c, 400);
  if (!errors.empty()) return upload_page(list_name, errors, errors.back().field == "file" && file ? 413 : 422);
  auto rows = read_rows(file->data, enc);
  if (!rows) {
    return upload_page(list_name,
                       {{"file", "CSVファイルとして読み取れませんでした。文字コードの指定とファイルの形式を確かめてください。（" +
                                     rows.error().message + "）"}},
                       422);
  }
  PendingCardCsv pending{sid, c.now + options_.pending_import_ttl, renewal, std::string(file->data), enc, list_name, {}};
  return renewal ? renewal_preview(std::move(*rows), std::move(pending))
                 : ledger_preview(std::move(*rows), std::move(pending));
}

mstch::array error_rows(const std::vector<domain::LineError>& errs) {
  mstch::array out;
  for (const domain::LineError& e : errs) out.push_back(mstch::map{{"message", e.message}});
  return out;
}

http::Response CardImportPages::Call::ledger_preview(text::CsvRows rows, PendingCardCsv pending) {
  const std::size_t data_rows = rows.empty() ? 0 : rows.size() - 1;
  auto plan = ledger_plan(rows);
  if (!plan) return error(c, 503);
  rows = {};
  mstch::array first;
  for (std::size_t i = 0; i < plan->cards.size() && i < kLedgerPreviewRows; ++i) {
    const domain::Card& k = plan->cards[i].card;
    first.push_back(mstch::map{{"line", std::to_string(plan->cards[i].line)},
                               {"manufacture_no", k.manufacture_no},
                               {"name_kanji", k.name_kanji},
                               {"birth_date", k.birth_date},
                               {"receipt_no", k.receipt_no ? std::to_string(k.receipt_no) : std::string()},
                               {"status", std::string(domain::card_status_label(domain::card_status(k)))}});
  }
  mstch::map content{{"has_errors", !plan->ok()},
                     {"error_count", std::to_string(plan->errors.size())},
                     {"errors_cut", plan->errors.size() >= domain::kMaxCsvErrors},
                     {"error_limit", std::to_string(domain::kMaxCsvErrors)},
                     {"errors", error_rows(plan->errors)},
                     {"rows", std::to_string(data_rows)},
                     {"cards", std::to_string(plan->cards.size())},
                     {"has_cards", !plan->cards.empty()},
                     {"shown", std::to_string(std::min(plan->cards.size(), kLedgerPreviewRows))},
                     {"first", std::move(first)},
                     {"ttl_minutes", ttl_minutes()}};
  const bool can_apply = plan->ok() && !plan->cards.empty();
  content.emplace("can_apply", can_apply);
  if (can_apply) {
    pending.fingerprint = std::to_string(plan->cards.size());
    content.emplace("import_token", keep_pending(std::move(pending)));
  }
  return content_page(c, csv_title + "（確認）", domain::Menu::cards, "card_ledger_preview", std::move(content),
                      plan->ok() ? 200 : 422);
}

http::Response CardImportPages::Call::renewal_preview(text::CsvRows rows, PendingCardCsv pending) {
  domain::RenewalPlan plan = domain::plan_renewal_import(rows);
  rows = {};
  mstch::map content{{"has_errors", !plan.ok()},
                     {"error_count", std::to_string(plan.errors.size())},
                     {"errors", error_rows(plan.errors)},
                     {"list_name", pending.list_name},
                     {"lines", std::to_string(plan.lines.size())},
                     {"ttl_minutes", ttl_minutes()}};
  if (!plan.ok()) {
    content.emplace("matched", std::string("0"));
    content.emplace("unmatched", std::string("0"));
    return content_page(c, csv_title + "（確認）", domain::Menu::cards, "card_renewal_preview", std::move(content), 422);
  }
  auto m = renewal_matches(plan);
  if (!m) return error(c, 503);
  mstch::array matched_lines, unmatched_lines;
  for (std::size_t i = 0; i < m->matched.size() && i < kRenewalPreviewRows; ++i) {
    const auto& [line, k] = m->matched[i];
    matched_lines.push_back(mstch::map{{"line", std::to_string(line->line)},
                                       {"manufacture_no", k.manufacture_no},
                                       {"name_kanji", k.name_kanji},
                                       {"birth_date", k.birth_date},
                                       {"kind", std::string(line->kind == "cert" ? "電子証明書" : "カード")},
                                       {"due", line->due}});
  }
  for (std::size_t i = 0; i < m->unmatched.size() && i < kRenewalPreviewRows; ++i) {
    const auto& [line, reason] = m->unmatched[i];
    unmatched_lines.push_back(mstch::map{{"line", std::to_string(line->line)},
                                         {"name_kana", line->name_kana},
                                         {"birth_date", line->birth_date},
                                         {"manufacture_no", line->manufacture_no},
                                         {"reason", reason}});
  }
  content.insert_or_assign("matched", std::to_string(m->matched.size()));
  content.insert_or_assign("unmatched", std::to_string(m->unmatched.size()));
  content.emplace("has_matched", !m->matched.empty());
  content.emplace("has_unmatched", !m->unmatched.empty());
  content.emplace("matched_cut", m->matched.size() > kRenewalPreviewRows);
  content.emplace("unmatched_cut", m->unmatched.size() > kRenewalPreviewRows);
  content.emplace("shown_matched", std::to_string(std::min(m->matched.size(), kRenewalPreviewRows)));
  content.emplace("shown_unmatched", std::to_string(std::min(m->unmatched.size(), kRenewalPreviewRows)));
  content.emplace("matched_lines", std::move(matched_lines));
  content.emplace("unmatched_lines", std::move(unmatched_lines));
  content.emplace("can_apply", !m->matched.empty());
  if (!m->matched.empty()) {
    pending.fingerprint = m->fingerprint;
    content.emplace("import_token", keep_pending(std::move(pending)));
  }
  return content_page(c, csv_title + "（確認）", domain::Menu::cards, "card_renewal_preview", std::move(content), 200);
}

Expected<std::optional<std::vector<domain::Card>>> CardImportPages::Call::confirmed_writes(PendingCardCsv& pending) {
  using Writes = std::optional<std::vector<domain::Card>>;
  auto rows = read_rows(pending.bytes, pending.encoding);
  if (!rows) return Writes();
  pending.bytes.clear();
  pending.bytes.shrink_to_fit();
  std::vector<domain::Card> writes;
  if (!renewal) {
    auto plan = ledger_plan(*rows);
    if (!plan) return plan.error();
    *rows = {};
    if (!plan->ok() || std::to_string(plan->cards.size()) != pending.fingerprint) return Writes();
    writes.reserve(plan->cards.size());
    for (auto& p : plan->cards) writes.push_back(std::move(p.card));
    return Writes(std::move(writes));
  }
  domain::RenewalPlan plan = domain::plan_renewal_import(*rows);
  *rows = {};
  if (!plan.ok()) return Writes();
  auto m = renewal_matches(plan);
  if (!m) return m.error();
  if (m->fingerprint != pending.fingerprint) return Writes();
  for (auto& [line, k] : m->matched) {
    k.renewal = domain::Renewal{pending.list_name, line->kind, line->due, c.wall_ms};
    writes.push_back(std::move(k));
  }
  return Writes(std::move(writes));
}

http::Response CardImportPages::Call::apply() {
  auto it = st.pending_.find(c.form->value("import_token"));
  if (it == st.pending_.end() || it->second.session_id != sid || it->second.renewal != renewal) {
    return message(csv_title,
                   "この確認画面は期限が切れたか、すでに使われています。もう一度ファイルをアップロードしてください。", 409,
                   base, "ファイルを選び直す");
  }
  PendingCardCsv pending = std::move(it->second);
  st.pending_.erase(it);  // single use, whatever happens below
  auto writes = confirmed_writes(pending);
  if (!writes) return error(c, 503);
  if (!*writes) {
    log(renewal ? "card.renewal_import" : "card.ledger_import", staff, "cards", "refused: records changed since the preview");
    return message(csv_title,
                   "確認画面を表示したあとにカードの登録内容が変わったため、取り込みませんでした。もう一度ファイルをアップロードして、確認し直してください。",
                   409, base, "ファイルを選び直す");
  }
  if (auto saved = cards_->save_all(**writes, c.wall_ms); !saved) {
    return message(csv_title, "保存できませんでした。1件も取り込まれていません。しばらくしてから、もう一度やり直してください。",
                   503, base, "ファイルを選び直す");
  }
  const std::size_t n = (*writes)->size();
  if (renewal) {
    log("card.renewal_import", staff, "cards", std::to_string(n) + " cards matched");
    return message(csv_title, std::to_string(n) + "件のカードに更新対象（リスト「" + pending.list_name + "」）を記録しました。",
                   200, "/cards?renewal=1", "更新対象のカード一覧へ");
  }
  log("card.ledger_import", staff, "cards", std::to_string(n) + " cards");
  return message(csv_title, std::to_string(n) + "件のカードを台帳から取り込みました。", 200, "/cards", "カード一覧へ");
}

}  // namespace

std::unique_ptr<PageModule> make_card_import_pages(Shell& shell, CardStore& cards, const CardServices& services) {
  return std::make_unique<CardImportPages>(shell, cards, services);
}

}  // namespace madoguchi::console::app
