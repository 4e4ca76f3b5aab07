// 交付管理 (ISS-5 to ISS-12, ISS-15): the result list with search, sort and paging, a card's page,
// hand entry, changes, progress, booking changes with history, deletion, bulk update and exports.
//
//   GET  /cards?manufacture_no=&name=&from=&to=&status=&counter=&shipment_no=&receipt_no=&renewal=1
//              &sort=receipt_no|counter|booking_at|status|manufacture_no&dir=asc|desc&page=N
//   GET  /cards/view?id=            a card with its history
//   GET  /cards/new, POST /cards/new          hand entry (ISS-13)
//   GET  /cards/edit?id=, POST /cards/edit    the card's fields, reissue flag, note (ISS-8, ISS-11)
//   GET  /cards/progress?id=, POST /cards/progress   issue (date-time, counter, note) or a dated
//                                   event with its note; or clear one (a correction) (ISS-9, ISS-11)
//   GET  /cards/booking?id=, POST /cards/booking     change or cancel the booking (ISS-10)
//   POST /cards/delete              (confirm=1)
//   POST /cards/bulk                selected ids (id=…, repeated) or all results of the query
//                                   (scope=all): notice sent, shipment or issue date (ISS-12)
//   GET  /cards/export?format=csv|xlsx&encoding=utf8|cp932 + the list's query (ISS-7, ISS-15)
// Every change is written to the operation log with the card's manufacture number as target and
// never a name (SYS-3).
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>
#include <variant>

#include <mstch/mstch.hpp>

#include "madoguchi/console/app/console_app.h"
#include "madoguchi/domain/card_csv.h"
#include "madoguchi/console/web/session.h"
#include "madoguchi/console/web/page.h"
#include "madoguchi/text/encoding.h"
#include "madoguchi/text/csv.h"
#include "card_imports.h"
#include "internal.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

constexpr std::size_t kMaxField = 256;
constexpr std::size_t kMaxPage = 100000;

std::string qv(const http::Request& r, const std::string& name) {
  auto it = r.query.find(name);
  if (it == r.query.end()) return {};
  return it->second.substr(0, kMaxField);
}

// Today in Japan Standard Time, "YYYY-MM-DD", and now as "YYYY-MM-DDTHH:MM".
std::string jst_date_time(std::int64_t wall_ms) {
  std::string t = jst_time(wall_ms);  // "YYYY-MM-DD HH:MM:SS"
  return t.substr(0, 10) + "T" + t.substr(11, 5);
}

// A card's query from the list's parameters; errors name the field.
struct ParsedQuery {
  CardQuery query;
  std::size_t page = 1;
  std::vector<web::FieldError> errors;
};

ParsedQuery parse_query(const http::Request& r, std::size_t rows) {
  ParsedQuery p;
  CardQuery& q = p.query;
  q.manufacture_no = qv(r, "manufacture_no");
  q.name = qv(r, "name");
  q.booking_from = qv(r, "from");
  q.booking_to = qv(r, "to");
  q.counter = qv(r, "counter");
  q.shipment_no = qv(r, "shipment_no");
  q.renewal_only = qv(r, "renewal") == "1";
  for (char& ch : q.manufacture_no) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  for (char ch : q.manufacture_no) {
    if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z'))) {
      p.errors.push_back({"manufacture_no", "製造番号は半角英数字で入力してください。"});
      break;
    }
  }
  if (!q.booking_from.empty() && !domain::is_valid_date(q.booking_from)) {
    p.errors.push_back({"from", "予約日（から）は実在する日付を入力してください。"});
  }
  if (!q.booking_to.empty() && !domain::is_valid_date(q.booking_to)) {
    p.errors.push_back({"to", "予約日（まで）は実在する日付を入力してください。"});
  }
  if (const auto s = qv(r, "status"); !s.empty()) {
    q.status = domain::card_status_from_id(s);
    if (!q.status) p.errors.push_back({"status", "状態を一覧から選んでください。"});
  }
  if (const auto s = qv(r, "receipt_no"); !s.empty()) {
    auto n = parse_decimal12(s);
    if (!n) {
      p.errors.push_back({"receipt_no", "受付番号は半角数字（12桁まで）で入力してください。"});
    } else {
      q.receipt_no = *n;
    }
  }
  if (const auto s = qv(r, "sort"); !s.empty()) {
    auto sort = card_sort_from_id(s);
    if (sort) q.sort = *sort;
  }
  q.descending = qv(r, "dir") == "desc";
  if (const auto s = qv(r, "page"); !s.empty()) {
    auto n = parse_decimal12(s);
    p.page = n && *n >= 1 && *n <= kMaxPage ? static_cast<std::size_t>(*n) : 1;
  }
  q.limit = rows;
  q.offset = (p.page - 1) * rows;
  return p;
}

// The list's parameters as name/value pairs (without sort and direction when `keep_order` is
// false), for links and hidden fields that keep the search.
std::vector<std::pair<std::string, std::string>> query_pairs(const CardQuery& q, bool keep_order) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](std::string k, std::string v) {
    if (!v.empty()) out.emplace_back(std::move(k), std::move(v));
  };
  add("manufacture_no", q.manufacture_no);
  add("name", q.name);
  add("from", q.booking_from);
  add("to", q.booking_to);
  if (q.status) add("status", std::string(domain::card_status_id(*q.status)));
  add("counter", q.counter);
  add("shipment_no", q.shipment_no);
  if (q.receipt_no) add("receipt_no", std::to_string(q.receipt_no));
  if (q.renewal_only) add("renewal", "1");
  if (keep_order) {
    add("sort", std::string(card_sort_id(q.sort)));
    if (q.descending) add("dir", "desc");
  }
  return out;
}

std::string query_string(const CardQuery& q, bool keep_order) {
  std::string s;
  for (const auto& [k, v] : query_pairs(q, keep_order)) {
    if (!s.empty()) s += '&';
    s += k + "=" + percent_encode(v);
  }
  return s;
}

std::string date_time_text(std::string_view at) {  // "2026-12-01T10:30" → "2026-12-01 10:30"
  std::string s(at);
  if (s.size() == 16) s[10] = ' ';
  return s;
}

std::string sex_text(std::string_view s) {
  if (s == "1") return "男";
  if (s == "2") return "女";
  if (s == "9") return "適用不能";
  return "";
}

std::string source_text(domain::CardSource s) {
  switch (s) {
    case domain::CardSource::qr: return "二次元コード読取";
    case domain::CardSource::renewal: return "更新対象リスト";
    case domain::CardSource::ledger: return "台帳取込";
    case domain::CardSource::manual: return "手入力";
  }
  return "";
}

mstch::map card_summary(const CardRow& row) {
  const domain::Card& k = row.card;
  const domain::CardStatus st = domain::card_status(k);
  return mstch::map{
      {"id", k.manufacture_no},
      {"id_url", percent_encode(k.manufacture_no)},
      {"receipt_no", k.receipt_no ? std::to_string(k.receipt_no) : std::string()},
      {"name_kanji", k.name_kanji},
      {"name_kana", k.name_kana},
      {"counter", k.booking && !k.booking->counter.empty() ? k.booking->counter : k.counter},
      {"booking_at", k.booking ? date_time_text(k.booking->at) : std::string()},
      {"status", std::string(domain::card_status_label(st))},
      {"status_id", std::string(domain::card_status_id(st))},
      {"pending", row.pending},
      {"reissue", k.reissue},
  };
}

mstch::array status_options(std::optional<domain::CardStatus> selected) {
  mstch::array out;
  for (domain::CardStatus s : domain::all_card_statuses()) {
    out.push_back(mstch::map{{"id", std::string(domain::card_status_id(s))},
                             {"label", std::string(domain::card_status_label(s))},
                             {"selected", selected == s}});
  }
  return out;
}

mstch::map card_form_values(const domain::Card& k) {
  return mstch::map{{"manufacture_no", k.manufacture_no},
                    {"application_id", k.application_id},
                    {"postcard_no", k.postcard_no},
                    {"name_kanji", k.name_kanji},
                    {"name_kana", k.name_kana},
                    {"birth_date", k.birth_date},
                    {"sex_1", k.sex == "1"},
                    {"sex_2", k.sex == "2"},
                    {"sex_9", k.sex == "9"},
                    {"sex_none", k.sex.empty()},
                    {"address", k.address},
                    {"card_expiry", k.card_expiry},
                    {"cert_expiry", k.cert_expiry},
                    {"receipt_no", k.receipt_no ? std::to_string(k.receipt_no) : std::string()},
                    {"counter", k.counter},
                    {"shipment_no", k.shipment_no},
                    {"note", k.note},
                    {"reissue", k.reissue}};
}

// Japanese message for a card field the domain refused ("<field>: <reason>" in English).
web::FieldError card_field_error(const Error& e) {
  static const std::pair<std::string_view, std::string_view> kFields[] = {
      {"manufacture_no", "製造番号は半角英大文字と数字の16文字で入力してください。"},
      {"application_id", "申請書IDは半角数字23桁で入力するか、空欄にしてください。"},
      {"postcard_no", "交付通知書番号は英数字3文字と数字6桁で入力するか、空欄にしてください。"},
      {"name_kanji", "氏名を64文字以内で入力してください（制御文字は使えません）。"},
      {"name_kana", "氏名カナは64文字以内で入力してください。"},
      {"birth_date", "生年月日は実在する日付を入力してください。"},
      {"sex", "性別を選んでください。"},
      {"address", "住所は200文字以内で入力してください。"},
      {"card_expiry", "カード有効期限は実在する日付を入力するか、空欄にしてください。"},
      {"cert_expiry", "電子証明書有効期限は実在する日付を入力するか、空欄にしてください。"},
      {"receipt_no", "受付番号は半角数字12桁以内で入力してください。"},
      {"counter", "窓口は32文字以内で入力してください。"},
      {"shipment_no", "発送番号は32文字以内で入力してください。"},
      {"note", "備考は500文字以内で入力してください。"},
  };
  for (const auto& [field, message] : kFields) {
    if (e.message.rfind(std::string(field) + ":", 0) == 0) return {std::string(field), std::string(message)};
  }
  return {"manufacture_no", "入力内容を確認してください。"};
}

http::Response export_download(std::string bytes, bool xlsx, text::Encoding encoding) {
  http::Response r;
  r.status = 200;
  r.body = std::move(bytes);
  if (xlsx) {
    r.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"cards.xlsx\"");
  } else {
    r.content_type = encoding == text::Encoding::cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8";
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"cards.csv\"");
  }
  return r;
}

}  // namespace

Expected<std::unique_ptr<SpoolFile>> SpoolFile::create(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(Errc::io, dir.string() + ": " + ec.message());
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  auto path = dir / ("madoguchi-export-" + web::random_token() + ".tmp");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(Errc::io, path.string() + ": " + std::strerror(errno));
  return std::unique_ptr<SpoolFile>(new SpoolFile(std::move(path), fd));
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

Status SpoolFile::append(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Errc::io, path_.string() + ": " + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Expected<std::shared_ptr<const http::BodyFile>> SpoolFile::finish() {
  auto file = http::BodyFile::open(path_.string());
  if (!file) return file.error();
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  return file;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char sc : s) {
    const auto ch = static_cast<unsigned char>(sc);
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
        ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

std::optional<std::uint64_t> parse_decimal12(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

namespace {

class CardPages final : public PageModule {
 public:
  CardPages(Shell& shell, CardStore& cards, const CardServices& services)
      : PageModule(shell), cards_(cards), services_(services) {}

  void add_routes(RouteTable& routes) override {
    // 交付管理 (ISS): the cards menu decides, on every request (SEC-2).
    auto add = [&](Route::Methods methods, std::string path, http::Response (Call::*handler)()) {
      routes.add(call_route(this, methods, std::move(path), handler, {domain::Menu::cards}));
    };
    add(Route::Methods::get, "/cards", &Call::list);
    add(Route::Methods::get, "/cards/view", &Call::view);
    add(Route::Methods::get_or_post, "/cards/new", &Call::card_edit);
    add(Route::Methods::get_or_post, "/cards/edit", &Call::card_edit);
    add(Route::Methods::get_or_post, "/cards/progress", &Call::progress);
    add(Route::Methods::get_or_post, "/cards/booking", &Call::booking);
    add(Route::Methods::post, "/cards/delete", &Call::remove);
    add(Route::Methods::post, "/cards/bulk", &Call::bulk);
    add(Route::Methods::get, "/cards/export", &Call::export_cards);
    add(Route::Methods::get, "/cards/export/job", &Call::export_job);
    add(Route::Methods::get, "/cards/export/download", &Call::export_job);
  }

 private:
  // One request to the 交付管理 screens, and the helpers every handler uses.
  struct Call : PageCall {
    Call(CardPages& pages_in, Context& ctx)
        : PageCall(pages_in, ctx), pages(pages_in), cards_(&pages_in.cards_), card_services_(pages_in.services_),
          options_(pages_in.options_) {}

    CardPages& pages;
    CardStore* cards_;
    const CardServices& card_services_;
    const ConsoleOptions& options_;
    const std::string title{domain::menu_label(domain::Menu::cards)};

    http::Response message(const std::string& text, int status) {
      return content_page(c, title, domain::Menu::cards, "message", mstch::map{{"message", text}}, status);
    }
    // A store failure: while the search index is still being built (a counter that just received
    // the municipality's cards), exports and bulk updates wait for it and staff are told so.
    http::Response store_failed(const Error& e) {
      if (e.code == Errc::unavailable) {
        return message("カードの索引を作成中です。数分たってからもう一度お試しください。", 503);
      }
      return error(c, 503);
    }
    // The card named by ?id= (GET) or the form's id (POST), or the page to answer with.
    std::variant<CardRow, http::Response> find() {
      const std::string id = post ? c.form->value("id") : qv(c.req, "id");
      if (domain::validate_manufacture_no(id).ok() == false) return error(c, 404);
      auto row = cards_->get(id);
      if (!row) return error(c, 503);
      if (!*row) return error(c, 404);
      return std::move(**row);
    }
    std::optional<http::Response> save(const domain::Card& k, std::string_view action, std::string_view detail) {
      if (auto st = domain::validate_card(k); !st) return message("入力内容に誤りがあります。もう一度確認してください。", 422);
      if (auto st = cards_->save(k, c.wall_ms); !st) return error(c, 503);
      log(action, c.account->id, "card/" + k.manufacture_no, detail);
      return std::nullopt;
    }
    http::Response to_view(const std::string& id, std::string_view done) {
      return with_headers(web::see_other("/cards/view?id=" + percent_encode(id) + "&done=" + std::string(done)),
                          c.headers);
    }

    http::Response list();
    http::Response view();
    http::Response card_edit();
    http::Response progress();
    http::Response booking();
    http::Response remove();
    http::Response bulk();
    http::Response export_cards();
    http::Response export_job();

   private:
    http::Response start_card_export(const CardQuery& query, bool xlsx, text::Encoding encoding);
    // Writes the next card_export_chunk rows of a job; finishes the file after the last.
    // Errors: invalid_argument (a character the chosen encoding cannot hold), db, io.
    Status continue_card_export(CardExportJob& job);
    std::filesystem::path spool_dir() const {
      return options_.spool_dir.empty() ? std::filesystem::temp_directory_path() : options_.spool_dir;
    }
  };

  CardStore& cards_;
  const CardServices& services_;
  std::map<std::string, CardExportJob> exports_;  // by random token
};

// Starts a large export (ISS-7, ISS-15, "long exports show progress"): takes the keys of the
// result now, so the file is the result as it was when staff asked, then sends the browser to
// the progress page.
http::Response CardPages::Call::start_card_export(const CardQuery& query, bool xlsx, text::Encoding encoding) {
  auto& jobs = pages.exports_;
  std::erase_if(jobs, [&](const auto& j) { return j.second.expires <= c.now || j.second.session_id == c.session->id; });
  if (jobs.size() >= options_.max_card_export_jobs) {
    return content_page(c, std::string(domain::menu_label(domain::Menu::cards)), domain::Menu::cards, "message",
                        mstch::map{{"message", std::string("ほかの職員の出力が終わるまで、少し待ってからもう一度出力してください。")}},
                        503);
  }
  CardExportJob job;
  job.session_id = c.session->id;
  job.expires = c.now + options_.card_export_ttl;
  job.xlsx = xlsx;
  job.encoding = encoding;
  auto st = cards_->for_each(query, [&](const CardRow& row) {
    job.keys.push_back(row.card.manufacture_no);
    return job.keys.size() < options_.card_export_max;
  });
  if (!st) {
    if (st.error().code == Errc::unavailable) {
      return content_page(c, std::string(domain::menu_label(domain::Menu::cards)), domain::Menu::cards, "message",
                          mstch::map{{"message", std::string("カードの索引を作成中です。数分たってからもう一度お試しください。")}},
                          503);
    }
    return error(c, 503);
  }
  if (xlsx) {
    auto writer = card_services_.excel("交付管理", domain::card_csv_header());
    if (!writer) return error(c, 500);
    job.sheet = std::move(*writer);
  } else {
    text::CsvRows header{domain::card_csv_header()};
    auto bytes = text::to_excel_csv(header, encoding);  // with the BOM for UTF-8
    if (!bytes) return error(c, 500);
    auto spool = SpoolFile::create(spool_dir());
    if (!spool || !(*spool)->append(*bytes)) return error(c, 503);
    job.csv = std::move(*spool);
  }
  log("card.export", c.account->id, "cards", std::string(xlsx ? "xlsx " : "csv ") + std::to_string(job.keys.size()));
  const std::string token = web::random_token();
  jobs.emplace(token, std::move(job));
  return with_headers(web::see_other("/cards/export/job?id=" + token), c.headers);
}

// Writes the next card_export_chunk rows of a job; finishes the file after the last.
// Errors: invalid_argument (a character the chosen encoding cannot hold), db, io.
Status CardPages::Call::continue_card_export(CardExportJob& job) {
  const std::size_t end = std::min(job.keys.size(), job.next + options_.card_export_chunk);
  // CSV rows go to the file a few hundred at a time, so memory holds a small batch, not a chunk.
  constexpr std::size_t kCsvBatch = 256;
  text::CsvRows rows;
  auto flush = [&]() -> Status {
    if (rows.empty()) return {};
    std::string text = text::write_csv(rows);
    rows.clear();
    if (job.encoding == text::Encoding::cp932) {
      auto bytes = text::utf8_to_cp932(text);
      if (!bytes) return make_error(Errc::invalid_argument, "not representable in CP932");
      text = std::move(*bytes);
    }
    return job.csv->append(text);
  };
  for (; job.next < end; ++job.next) {
    auto row = cards_->get(std::string(job.keys[job.next]));
    if (!row) return row.error();
    if (!*row) continue;  // deleted since the export started
    ++job.written;
    if (job.sheet) {
      if (auto st = job.sheet->add_row(domain::card_to_csv_row((*row)->card)); !st) return st;
    } else {
      rows.push_back(domain::card_to_csv_row((*row)->card));
      if (rows.size() == kCsvBatch) {
        if (auto st = flush(); !st) return st;
      }
    }
  }
  if (auto st = flush(); !st) return st;
  if (job.next == job.keys.size()) {
    if (job.sheet) {
      auto spool = SpoolFile::create(spool_dir());
      if (!spool) return spool.error();
      if (auto st = job.sheet->finish_to((*spool)->path()); !st) return st;
      job.sheet.reset();
      job.csv = std::move(*spool);
    }
    auto file = job.csv->finish();
    if (!file) return file.error();
    job.file = std::move(*file);
    job.csv.reset();
  }
  return {};
}

http::Response CardPages::Call::list() {
  ParsedQuery p = parse_query(c.req, options_.card_page_rows);
  mstch::map content{{"status_options", status_options(p.query.status)},
                     {"manufacture_no", p.query.manufacture_no},
                     {"name", p.query.name},
                     {"from", p.query.booking_from},
                     {"to", p.query.booking_to},
                     {"counter", p.query.counter},
                     {"shipment_no", p.query.shipment_no},
                     {"receipt_no", p.query.receipt_no ? std::to_string(p.query.receipt_no) : std::string()},
                     {"renewal", p.query.renewal_only},
                     {"descending", p.query.descending},
                     {"today", jst_date_time(c.wall_ms).substr(0, 10)},
                     {"bulk_max", std::to_string(options_.card_bulk_max)}};
  mstch::array sorts;
  static const std::pair<CardSort, std::string_view> kSortLabels[] = {
      {CardSort::receipt_no, "受付番号"}, {CardSort::counter, "窓口"}, {CardSort::booking_at, "予約日時"},
      {CardSort::status, "状態"},         {CardSort::manufacture_no, "製造番号"}};
  for (const auto& [s, label] : kSortLabels) {
    sorts.push_back(mstch::map{{"id", std::string(card_sort_id(s))},
                               {"label", std::string(label)},
                               {"selected", p.query.sort == s}});
  }
  content.emplace("sorts", std::move(sorts));
  if (!p.errors.empty()) {
    (void)web::add_field_errors(content, p.errors);
    return content_page(c, title, domain::Menu::cards, "card_list", std::move(content), 422);
  }
  auto page = cards_->search(p.query);
  if (!page) {
    if (page.error().code == Errc::invalid_argument) {
      (void)web::add_field_errors(content, {{"name", "氏名に使えない文字が含まれています。"}});
      return content_page(c, title, domain::Menu::cards, "card_list", std::move(content), 422);
    }
    return error(c, 503);
  }
  const std::string base = query_string(p.query, false);
  // Column headers sort by their column; the current column's link turns the direction round.
  auto sort_url = [&](CardSort s) {
    const bool desc = p.query.sort == s ? !p.query.descending : false;
    return "/cards?" + base + (base.empty() ? "" : "&") + "sort=" + std::string(card_sort_id(s)) +
           (desc ? "&dir=desc" : "");
  };
  auto aria_sort = [&](CardSort s) -> std::string {
    if (p.query.sort != s) return "none";
    return p.query.descending ? "descending" : "ascending";
  };
  content.emplace("sort_receipt_url", sort_url(CardSort::receipt_no));
  content.emplace("sort_counter_url", sort_url(CardSort::counter));
  content.emplace("sort_booking_url", sort_url(CardSort::booking_at));
  content.emplace("sort_status_url", sort_url(CardSort::status));
  content.emplace("sort_id_url", sort_url(CardSort::manufacture_no));
  content.emplace("aria_receipt", aria_sort(CardSort::receipt_no));
  content.emplace("aria_counter", aria_sort(CardSort::counter));
  content.emplace("aria_booking", aria_sort(CardSort::booking_at));
  content.emplace("aria_status", aria_sort(CardSort::status));
  content.emplace("aria_id", aria_sort(CardSort::manufacture_no));
  mstch::array rows;
  for (const auto& r : page->rows) rows.push_back(card_summary(r));
  const std::string ordered = query_string(p.query, true);
  const std::size_t first = page->rows.empty() ? 0 : p.query.offset + 1;
  content.emplace("rows", std::move(rows));
  if (page->index_pending > 0) content.emplace("index_pending", std::to_string(page->index_pending));
  content.emplace("has_rows", !page->rows.empty());
  content.emplace("total", std::to_string(page->total));
  content.emplace("range", std::to_string(first) + "〜" + std::to_string(p.query.offset + page->rows.size()));
  mstch::array hidden;
  for (const auto& [k, v] : query_pairs(p.query, false)) hidden.push_back(mstch::map{{"name", k}, {"value", v}});
  content.emplace("query_fields", std::move(hidden));
  if (p.page > 1) content.emplace("prev_url", "/cards?" + ordered + "&page=" + std::to_string(p.page - 1));
  if (p.query.offset + page->rows.size() < page->total) {
    content.emplace("next_url", "/cards?" + ordered + "&page=" + std::to_string(p.page + 1));
  }
  content.emplace("export_csv_utf8", "/cards/export?format=csv&encoding=utf8" + (ordered.empty() ? "" : "&" + ordered));
  content.emplace("export_csv_cp932", "/cards/export?format=csv&encoding=cp932" + (ordered.empty() ? "" : "&" + ordered));
  if (card_services_.excel) {
    content.emplace("export_xlsx", "/cards/export?format=xlsx" + (ordered.empty() ? "" : "&" + ordered));
  }
  return content_page(c, title, domain::Menu::cards, "card_list", std::move(content), 200);
}

http::Response CardPages::Call::view() {
  auto found = find();
  if (auto* r = std::get_if<http::Response>(&found)) return std::move(*r);
  const CardRow& row = std::get<CardRow>(found);
  const domain::Card& k = row.card;
  mstch::map content = card_summary(row);
  for (auto& [key, v] : card_form_values(k)) content.insert_or_assign(key, std::move(v));
  content.insert_or_assign("sex_text", sex_text(k.sex));
  content.insert_or_assign("source", source_text(k.source));
  content.insert_or_assign("imported_at", k.imported_ms ? jst_time(k.imported_ms) : std::string());
  if (k.issued) {
    content.emplace("issued", mstch::map{{"at", date_time_text(k.issued->at)},
                                         {"counter", k.issued->counter},
                                         {"note", k.issued->note},
                                         {"staff", k.issued->staff}});
  }
  if (k.booking) {
    content.emplace("booking", mstch::map{{"at", date_time_text(k.booking->at)}, {"counter", k.booking->counter}});
  }
  mstch::array events;
  for (domain::CardEvent e : domain::all_card_events()) {
    const auto& ev = domain::card_event(k, e);
    events.push_back(mstch::map{{"label", std::string(domain::card_event_label(e))},
                                {"date", ev ? ev->date : std::string()},
                                {"note", ev ? ev->note : std::string()},
                                {"staff", ev ? ev->staff : std::string()},
                                {"recorded", ev.has_value()}});
  }
  content.emplace("events", std::move(events));
  mstch::array history;
  for (auto it = k.booking_history.rbegin(); it != k.booking_history.rend(); ++it) {
    history.push_back(mstch::map{{"changed", jst_time(it->changed_ms)},
                                 {"at", it->at.empty() ? std::string("（予約なし）") : date_time_text(it->at)},
                                 {"counter", it->counter},
                                 {"staff", it->staff},
                                 {"note", it->note}});
  }
  content.emplace("has_history", !history.empty());
  content.emplace("history", std::move(history));
  if (k.renewal) {
    content.emplace("renewal", mstch::map{{"list", k.renewal->list},
                                          {"kind", std::string(k.renewal->kind == "cert" ? "電子証明書" : "カード")},
                                          {"due", k.renewal->due}});
  }
  static const std::pair<std::string_view, std::string_view> kDone[] = {
      {"saved", "変更を保存しました。"},       {"progress", "進捗を記録しました。"},
      {"booking", "予約を変更しました。"},     {"created", "カードを登録しました。"},
  };
  const std::string done = qv(c.req, "done");
  for (const auto& [id, text] : kDone) {
    if (done == id) content.emplace("notice", std::string(text));
  }
  return content_page(c, "カードの詳細", domain::Menu::cards, "card_view", std::move(content), 200);
}

http::Response CardPages::Call::card_edit() {
  const bool adding = path == "/cards/new";
  domain::Card k;
  if (!adding) {
    auto found = find();
    if (auto* r = std::get_if<http::Response>(&found)) return std::move(*r);
    k = std::get<CardRow>(found).card;
  } else {
    k.source = domain::CardSource::manual;
  }
  auto form_page = [&](const domain::Card& shown, const std::vector<web::FieldError>& errors, int status) {
    mstch::map content = card_form_values(shown);
    content.emplace("adding", adding);
    content.emplace("id", shown.manufacture_no);
    (void)web::add_field_errors(content, errors);
    return content_page(c, adding ? "カードを手入力で登録" : "カードの変更", domain::Menu::cards, "card_form",
                        std::move(content), status);
  };
  if (get) return form_page(k, {}, 200);
  const auto& f = *c.form;
  domain::Card next = k;
  if (adding) {
    next.manufacture_no = f.value("manufacture_no");
    for (char& ch : next.manufacture_no) {
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    }
    next.imported_ms = c.wall_ms;
  }
  next.application_id = f.value("application_id");
  next.postcard_no = f.value("postcard_no");
  next.name_kanji = f.value("name_kanji");
  next.name_kana = f.value("name_kana");
  next.birth_date = f.value("birth_date");
  next.sex = f.value("sex");
  next.address = f.value("address");
  next.card_expiry = f.value("card_expiry");
  next.cert_expiry = f.value("cert_expiry");
  next.counter = f.value("counter");
  next.shipment_no = f.value("shipment_no");
  next.note = f.value("note");
  next.reissue = f.value("reissue") == "1";
  std::vector<web::FieldError> errors;
  if (const std::string r = f.value("receipt_no"); r.empty()) {
    next.receipt_no = 0;
  } else if (auto n = parse_decimal12(r)) {
    next.receipt_no = *n;
  } else {
    errors.push_back({"receipt_no", "受付番号は半角数字12桁以内で入力してください。"});
  }
  if (errors.empty()) {
    if (auto st = domain::validate_card(next); !st) errors.push_back(card_field_error(st.error()));
  }
  if (errors.empty() && adding) {
    auto dup = cards_->existing({next});
    if (!dup) return error(c, 503);
    if (!dup->empty()) {
      errors.push_back({"manufacture_no", "この製造番号または申請書IDのカードはすでに登録されています。"});
    }
  }
  if (!errors.empty()) return form_page(next, errors, 422);
  if (auto r = save(next, adding ? "card.add" : "card.update", ""); r) return std::move(*r);
  return to_view(next.manufacture_no, adding ? "created" : "saved");
}

http::Response CardPages::Call::progress() {
  auto found = find();
  if (auto* r = std::get_if<http::Response>(&found)) return std::move(*r);
  domain::Card k = std::get<CardRow>(found).card;
  auto form_page = [&](const std::string& kind, const std::string& date, const std::string& time,
                       const std::string& counter, const std::string& note,
                       const std::vector<web::FieldError>& errors, int status) {
    mstch::array kinds;
    kinds.push_back(mstch::map{{"id", std::string("issued")}, {"label", std::string("交付（交付日時・窓口）")},
                               {"selected", kind == "issued"}, {"recorded", k.issued.has_value()}});
    for (domain::CardEvent e : domain::all_card_events()) {
      kinds.push_back(mstch::map{{"id", std::string(domain::card_event_id(e))},
                                 {"label", std::string(domain::card_event_label(e))},
                                 {"selected", kind == domain::card_event_id(e)},
                                 {"recorded", domain::card_event(k, e).has_value()}});
    }
    mstch::map content = card_summary(CardRow{k, false, 0});
    content.insert_or_assign("kinds", std::move(kinds));
    content.insert_or_assign("date", date);
    content.insert_or_assign("time", time);
    content.insert_or_assign("issue_counter", counter);
    content.insert_or_assign("note", note);
    (void)web::add_field_errors(content, errors);
    return content_page(c, "進捗の記録", domain::Menu::cards, "card_progress", std::move(content), status);
  };
  const std::string now = jst_date_time(c.wall_ms);
  if (get) {
    return form_page("issued", now.substr(0, 10), now.substr(11, 5),
                     k.booking && !k.booking->counter.empty() ? k.booking->counter : k.counter, "", {}, 200);
  }
  const auto& f = *c.form;
  const std::string kind = f.value("kind");
  const std::string date = f.value("date");
  const std::string time = f.value("time");
  const std::string counter = f.value("counter");
  const std::string note = f.value("note");
  const bool clear = f.value("clear") == "1";
  const auto event = domain::card_event_from_id(kind);
  std::vector<web::FieldError> errors;
  if (kind != "issued" && !event) errors.push_back({"kind", "記録する項目を選んでください。"});
  if (!clear && !domain::is_valid_date(date)) errors.push_back({"date", "日付は実在する日付を入力してください。"});
  if (!clear && kind == "issued" && !domain::is_valid_date_time(date + "T" + time)) {
    errors.push_back({"time", "交付時刻は「10:30」のように入力してください。"});
  }
  if (!errors.empty()) return form_page(kind, date, time, counter, note, errors, 422);
  if (kind == "issued") {
    if (clear) {
      k.issued.reset();
    } else {
      k.issued = domain::Issue{date + "T" + time, counter, note, c.account->id};
    }
  } else if (clear) {
    domain::card_event(k, *event).reset();
  } else {
    domain::card_event(k, *event) = domain::DatedNote{date, note, c.account->id};
  }
  if (auto st = domain::validate_card(k); !st) {
    return form_page(kind, date, time, counter, note, {{"note", "メモは500文字以内、窓口は32文字以内で入力してください。"}},
                     422);
  }
  if (auto r = save(k, clear ? "card.progress_clear" : "card.progress", kind); r) return std::move(*r);
  return to_view(k.manufacture_no, "progress");
}

http::Response CardPages::Call::booking() {
  auto found = find();
  if (auto* r = std::get_if<http::Response>(&found)) return std::move(*r);
  domain::Card k = std::get<CardRow>(found).card;
  auto form_page = [&](const std::string& date, const std::string& time, const std::string& counter,
                       const std::string& note, const std::vector<web::FieldError>& errors, int status) {
    mstch::map content = card_summary(CardRow{k, false, 0});
    content.insert_or_assign("date", date);
    content.insert_or_assign("time", time);
    content.insert_or_assign("booking_counter", counter);
    content.insert_or_assign("note", note);
    content.insert_or_assign("has_booking", k.booking.has_value());
    (void)web::add_field_errors(content, errors);
    return content_page(c, "予約の変更", domain::Menu::cards, "card_booking", std::move(content), status);
  };
  if (get) {
    if (k.booking) return form_page(k.booking->at.substr(0, 10), k.booking->at.substr(11, 5), k.booking->counter, "", {}, 200);
    return form_page("", "", k.counter, "", {}, 200);
  }
  const auto& f = *c.form;
  const bool cancel = f.value("cancel") == "1";
  const std::string date = f.value("date");
  const std::string time = f.value("time");
  const std::string counter = f.value("counter");
  const std::string note = f.value("note");
  std::optional<domain::CardBooking> next;
  std::vector<web::FieldError> errors;
  if (!cancel) {
    if (!domain::is_valid_date(date)) errors.push_back({"date", "予約日は実在する日付を入力してください。"});
    if (!domain::is_valid_date_time(date + "T" + time)) errors.push_back({"time", "予約時刻は「10:30」のように入力してください。"});
    if (counter.empty()) errors.push_back({"counter", "窓口を入力してください。"});
    next = domain::CardBooking{date + "T" + time, counter};
  }
  if (errors.empty()) {
    auto changed = domain::change_booking(k, next, c.account->id, note, c.wall_ms);
    if (!changed) {
      errors.push_back({"note", "メモは500文字以内、窓口は32文字以内で入力してください。"});
    } else if (!*changed) {
      return to_view(k.manufacture_no, "booking");
    }
  }
  if (!errors.empty()) return form_page(date, time, counter, note, errors, 422);
  if (auto r = save(k, cancel ? "card.booking_cancel" : "card.booking", ""); r) return std::move(*r);
  return to_view(k.manufacture_no, "booking");
}

http::Response CardPages::Call::remove() {
  auto found = find();
  if (auto* r = std::get_if<http::Response>(&found)) return std::move(*r);
  const std::string id = std::get<CardRow>(found).card.manufacture_no;
  if (c.form->value("confirm") != "1") {
    return message("削除するには「削除してよいことを確認しました」にチェックを入れてください。", 422);
  }
  if (auto st = cards_->remove(id, c.wall_ms); !st) return error(c, 503);
  log("card.remove", c.account->id, "card/" + id, "");
  return message("製造番号 " + id + " のカードを削除しました。", 200);
}

http::Response CardPages::Call::bulk() {
  const auto& f = *c.form;
  const std::string kind = f.value("bulk_kind");
  const std::string date = f.value("bulk_date");
  if (kind != "notice_sent" && kind != "shipment" && kind != "issued") {
    return message("一括で記録する項目を選んでください。", 422);
  }
  if (!domain::is_valid_date(date)) return message("一括で記録する日付は実在する日付を入力してください。", 422);
  std::vector<std::string> ids;
  if (f.value("scope") == "all") {
    // Every result of the search the list showed (its parameters came along as hidden fields).
    http::Request as_get;
    for (const auto& [k, v] : f.fields()) {
      if (k.rfind("q_", 0) == 0) as_get.query.emplace(k.substr(2), v);
    }
    ParsedQuery p = parse_query(as_get, options_.card_page_rows);
    if (!p.errors.empty()) return error(c, 400);
    bool too_many = false;
    auto st = cards_->for_each(p.query, [&](const CardRow& r) {
      if (ids.size() == options_.card_bulk_max) {
        too_many = true;
        return false;
      }
      ids.push_back(r.card.manufacture_no);
      return true;
    });
    if (!st) return store_failed(st.error());
    if (too_many) {
      return message("一括更新は一度に" + std::to_string(options_.card_bulk_max) +
                         "件までです。検索条件を絞り込んでください。",
                     422);
    }
  } else {
    ids = f.all("id");
  }
  if (ids.empty()) return message("一括で記録するカードを一覧で選んでください。", 422);
  if (ids.size() > options_.card_bulk_max) {
    return message("一括更新は一度に" + std::to_string(options_.card_bulk_max) + "件までです。", 422);
  }
  std::vector<domain::Card> changed;
  for (const auto& id : ids) {
    if (!domain::validate_manufacture_no(id).ok()) return error(c, 400);
    auto row = cards_->get(id);
    if (!row) return error(c, 503);
    if (!*row) continue;  // deleted meanwhile
    domain::Card k = (*row)->card;
    if (kind == "issued") {
      if (k.issued) continue;  // an issue already recorded keeps its time and counter
      k.issued = domain::Issue{date + "T00:00", k.booking && !k.booking->counter.empty() ? k.booking->counter : k.counter,
                       "", c.account->id};
    } else {
      auto e = *domain::card_event_from_id(kind);
      auto& ev = domain::card_event(k, e);
      domain::DatedNote d{date, ev ? ev->note : std::string(), c.account->id};
      ev = d;
    }
    changed.push_back(std::move(k));
  }
  // One transaction: all the selected cards or none.
  if (auto st = cards_->save_all(changed, c.wall_ms); !st) return error(c, 503);
  log("card.bulk", c.account->id, "cards", kind + " " + date + " " + std::to_string(changed.size()));
  return message(std::to_string(changed.size()) + "件のカードに記録しました。", 200);
}

http::Response CardPages::Call::export_cards() {
  const std::string format = qv(c.req, "format");
  const std::string enc = qv(c.req, "encoding");
  if (format != "csv" && format != "xlsx") return error(c, 400);
  if (!enc.empty() && enc != "utf8" && enc != "cp932") return error(c, 400);
  if (format == "xlsx" && !card_services_.excel) return error(c, 404);
  ParsedQuery p = parse_query(c.req, options_.card_page_rows);
  if (!p.errors.empty()) return error(c, 400);
  const text::Encoding encoding = enc == "cp932" ? text::Encoding::cp932 : text::Encoding::utf8;
  CardQuery counting = p.query;
  counting.offset = 0;
  counting.limit = 1;
  auto found = cards_->search(counting);
  if (!found) return error(c, 503);
  if (found->total > options_.card_export_max) {
    return message("出力できるのは" + std::to_string(options_.card_export_max) + "件までです。検索条件を絞り込んでください。",
                   422);
  }
  if (found->total > options_.card_export_direct_max) return start_card_export(p.query, format == "xlsx", encoding);
  std::size_t count = 0;
  http::Response r;
  r.status = 200;
  if (format == "csv") {
    text::CsvRows rows{domain::card_csv_header()};
    auto st = cards_->for_each(p.query, [&](const CardRow& row) {
      rows.push_back(domain::card_to_csv_row(row.card));
      ++count;
      return count < options_.card_export_max;
    });
    if (!st) return store_failed(st.error());
    auto bytes = text::to_excel_csv(rows, encoding);
    if (!bytes) {
      return message("Shift_JISで表せない文字（外字など）が含まれています。UTF-8で出力してください。", 422);
    }
    r.body = std::move(*bytes);
  } else {
    auto writer = card_services_.excel("交付管理", domain::card_csv_header());
    if (!writer) return error(c, 500);
    Status failed;
    auto st = cards_->for_each(p.query, [&](const CardRow& row) {
      failed = (*writer)->add_row(domain::card_to_csv_row(row.card));
      ++count;
      return failed.ok() && count < options_.card_export_max;
    });
    if (!st) return store_failed(st.error());
    if (!failed) return error(c, 503);
    auto bytes = (*writer)->finish();
    if (!bytes) return error(c, 500);
    r.body = std::move(*bytes);
  }
  log("card.export", c.account->id, "cards", format + " " + std::to_string(count));
  return with_headers(export_download(std::move(r.body), format == "xlsx", encoding), c.headers);
}

http::Response CardPages::Call::export_job() {
  auto& jobs = pages.exports_;
  std::erase_if(jobs, [&](const auto& j) { return j.second.expires <= c.now; });
  auto it = jobs.find(qv(c.req, "id"));
  // Another person's job is as unknown as an expired one.
  if (it == jobs.end() || it->second.session_id != c.session->id) {
    return message("この出力は見つかりません（時間がたったか、すでにダウンロードしました）。もう一度出力してください。", 404);
  }
  CardExportJob& job = it->second;
  if (path == "/cards/export/download") {
    if (!job.file) return error(c, 404);
    auto r = export_download({}, job.xlsx, job.encoding);
    r.file = std::move(job.file);  // sent from the file, which goes when the response is sent
    jobs.erase(it);
    return with_headers(std::move(r), c.headers);
  }
  if (!job.file) {
    if (auto st = continue_card_export(job); !st) {
      jobs.erase(it);
      if (st.error().code == Errc::invalid_argument) {
        return message("Shift_JISで表せない文字（外字など）が含まれています。UTF-8で出力してください。", 422);
      }
      return error(c, 503);
    }
  }
  job.expires = c.now + options_.card_export_ttl;
  const std::string url_id = percent_encode(it->first);
  const std::size_t total = job.keys.size();
  const std::size_t done_keys = job.next;
  mstch::map content{{"running", job.file == nullptr},
                     {"done", job.file != nullptr},
                     {"written", std::to_string(job.written)},
                     {"total", std::to_string(total)},
                     {"percent", std::to_string(total == 0 ? 100 : done_keys * 100 / total)},
                     {"continue_url", "/cards/export/job?id=" + url_id},
                     {"download_url", "/cards/export/download?id=" + url_id},
                     {"ttl_minutes", std::to_string(options_.card_export_ttl.count() / 60)}};
  if (!job.file) content.emplace("live_seconds", std::string("1"));  // each look moves the job on
  return content_page(c, "カードの出力", domain::Menu::cards, "card_export_progress", std::move(content), 200);
}

}  // namespace

std::unique_ptr<PageModule> make_card_pages(Shell& shell, CardStore& cards, const CardServices& services) {
  return std::make_unique<CardPages>(shell, cards, services);
}

}  // namespace madoguchi::console::app
