// 外字対照表 (LNK-4, LNK-7), at the hub console with attach_gaiji, under the 連携状況 menu: the
// vendor codes the municipality's certificate data uses and how each prints, the vendor's table
// imported as proposals, staff confirming each code, the records held for unconfirmed codes, and
// how a record will print.
//
//   GET  /linkage/gaiji          the codes, their mappings and the MJ data's reference information
//   POST /linkage/gaiji/save     table, code, text (a character or an MJ name), confirm=1|0
//   POST /linkage/gaiji/upload   table, file: the vendor's 外字対照表 (proposals only)
//   GET  /linkage/held           records held for an unconfirmed code
//   POST /linkage/held/request   entity, key (one record) or all=1 (every held record shown):
//                                asks the core systems to send them again (LNK-7)
//   GET  /linkage/print?entity=&key=   one record's columns as delivered and as they will print
#include <string>

#include <mstch/mstch.hpp>

#include "internal.h"
#include "madoguchi/console/app/gaiji_view.h"
#include "modules.h"

namespace madoguchi::console::app {
namespace {

constexpr std::size_t kHeldShown = 500;

bool table_name_ok(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
  });
}

std::string joined(const std::vector<std::string>& items, std::string_view sep = "、") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : std::string(sep)) + i;
  return out;
}

class GaijiPages final : public PageModule {
 public:
  GaijiPages(Shell& shell, GaijiView& view) : PageModule(shell), view_(view) {}

  void add_routes(RouteTable& routes) override {
    auto add = [&](Route::Methods methods, std::string path, http::Response (Call::*handler)()) {
      Route r = call_route(this, methods, std::move(path), handler, {domain::Menu::linkage});
      if (r.path == "/linkage/gaiji/upload") r.upload_bytes = 1024 * 1024;
      routes.add(std::move(r));
    };
    add(Route::Methods::get, "/linkage/gaiji", &Call::list);
    add(Route::Methods::post, "/linkage/gaiji/save", &Call::save);
    add(Route::Methods::post, "/linkage/gaiji/upload", &Call::upload);
    add(Route::Methods::get, "/linkage/held", &Call::held);
    add(Route::Methods::post, "/linkage/held/request", &Call::request_again);
    add(Route::Methods::get, "/linkage/print", &Call::print);
  }

 private:
  struct Call : PageCall {
    Call(GaijiPages& pages, Context& ctx) : PageCall(pages, ctx), view(pages.view_) {}
    GaijiView& view;
    const std::string title = "外字対照表";

    http::Response list_page(const std::string& notice, const std::vector<web::FieldError>& errors, int status,
                             const std::string& upload_table = {}) {
      auto codes = view.codes();
      if (!codes) return error(c, 503);
      auto held = view.held(kHeldShown);
      if (!held) return error(c, 503);
      mstch::array rows;
      for (const auto& g : *codes) {
        const bool confirmed = g.mapping && g.mapping->confirmed;
        rows.push_back(mstch::map{
            {"table", g.table},
            {"code", g.code},
            {"records", std::to_string(g.records)},
            {"text", g.mapping ? g.mapping->text : std::string()},
            {"mj", g.mj ? g.mj->mj : (g.mapping ? g.mapping->mj : std::string())},
            {"readings", g.mj ? g.mj->readings : std::string()},
            {"shrink", g.mj ? joined(g.mj->shrink, " ") : std::string()},
            {"confirmed", confirmed},
            {"proposed", g.mapping.has_value() && !confirmed},
            {"unmapped", !g.mapping.has_value()},
            {"decided_by", g.mapping ? g.mapping->decided_by : std::string()},
            {"decided_at", g.mapping && g.mapping->decided_ms ? jst_time(g.mapping->decided_ms) : std::string()},
            {"note", g.mapping ? g.mapping->note : std::string()},
            {"csrf_token", c.session->csrf_token}});
      }
      mstch::map content{{"codes", rows},
                         {"count", std::to_string(codes->size())},
                         {"held_count", held->empty() ? std::string() : std::to_string(held->size()) + (held->size() >= kHeldShown ? "以上" : "")},
                         {"has_mj", view.has_mj_data()},
                         {"upload_table", upload_table},
                         {"csrf_token", c.session->csrf_token}};
      if (!notice.empty()) content.emplace("notice", notice);
      for (const auto& e : errors) content.emplace(e.field + "_error", e.message);
      if (!web::add_field_errors(content, errors)) return error(c, 500);
      return content_page(c, title, domain::Menu::linkage, "gaiji_list", std::move(content), status);
    }

    http::Response list() { return list_page("", {}, 200); }

    http::Response save() {
      const std::string table = c.form->value("table"), code = c.form->value("code");
      std::string text = c.form->value("text");
      const bool confirm = c.form->value("confirm") == "1";
      if (!table_name_ok(table) || !domain::code_point_of_vendor_code(code)) return list_page("", {{"text", "外字コードが正しくありません。"}}, 422);
      std::string mj_name;
      if (auto m = view.mj(text)) {  // an MJ name (or a character the MJ data knows): the figure's own text
        mj_name = m->mj;
        if (text.starts_with("MJ")) text = m->text();
      }
      domain::GaijiMapping mapping{table, code, text, mj_name, confirm, c.account->id, c.wall_ms, confirm ? "職員が確認" : "職員が入力"};
      if (!domain::printable_single_character(text)) {
        return list_page("", {{"text", "文字は1文字（異体字セレクタ付きも可）か、MJ文字図形名（MJ000000）で入力してください。"}}, 422);
      }
      if (auto s = view.save_mapping(mapping); !s) {
        return s.error().code == Errc::invalid_argument ? list_page("", {{"text", "この文字は登録できません。"}}, 422) : error(c, 503);
      }
      log(confirm ? "gaiji.confirm" : "gaiji.propose", c.account->id, "gaiji_map/" + domain::gaiji_map_key(table, code), mapping.mj);
      return list_page(confirm ? table + " " + code + " を確認済みにしました。この外字を使う記録の保留が解けます。"
                               : table + " " + code + " の候補を登録しました。確かめてから確認済みにしてください。",
                       {}, 200);
    }

    http::Response upload() {
      const std::string table = c.form->value("table");
      if (!table_name_ok(table)) {
        return list_page("", {{"table", "対照表の名前は、連携ファイルの見出し行に書かれた英数字の名前です。"}}, 422, table);
      }
      const text::Part* file = nullptr;
      for (const text::Part& p : c.parts) {
        if (p.name == "file" && p.filename) file = &p;
      }
      if (!file || file->data.empty()) return list_page("", {{"file", "外字対照表のファイルを選んでください。"}}, 422, table);
      auto rows = domain::parse_vendor_code_table(file->data);
      if (!rows) return list_page("", {{"file", "読み込めませんでした（" + rows.error().message + "）。"}}, 422, table);
      auto existing = view.codes();
      if (!existing) return error(c, 503);
      std::size_t added = 0, kept = 0;
      for (const auto& row : *rows) {
        // A confirmed mapping is never replaced by an import: staff decided it.
        const bool confirmed = std::any_of(existing->begin(), existing->end(), [&](const GaijiCode& g) {
          return g.table == table && g.code == row.code && g.mapping && g.mapping->confirmed;
        });
        if (confirmed) {
          ++kept;
          continue;
        }
        domain::GaijiMapping m{table, row.code, row.text, row.mj, false, c.account->id, c.wall_ms,
                               "ベンダー対照表 " + std::string(file->filename->substr(0, 80))};
        if (m.mj.empty()) {
          if (auto known = view.mj(row.text)) m.mj = known->mj;
        }
        if (auto s = view.save_mapping(m); !s) {
          return list_page("", {{"file", std::to_string(row.line) + "行目を登録できませんでした（" + s.error().message + "）。"}}, 422, table);
        }
        ++added;
      }
      log("gaiji.import", c.account->id, "gaiji_map/" + table, std::to_string(added) + " proposed, " + std::to_string(kept) + " kept");
      return list_page(std::to_string(added) + "件を候補として登録しました" + (kept ? "（確認済みの" + std::to_string(kept) + "件はそのままです）" : std::string()) +
                           "。1件ずつ確かめて確認済みにしてください。",
                       {}, 200);
    }

    http::Response request_again() {
      std::vector<std::pair<std::string, std::string>> records;
      if (c.form->value("all") == "1") {
        auto held = view.held(kHeldShown);
        if (!held) return error(c, 503);
        for (const auto& h : *held) records.emplace_back(h.entity, h.key);
      } else {
        const std::string entity = c.form->value("entity"), key = c.form->value("key");
        if (entity.empty() || entity.size() > 32 || key.empty() || key.size() > 128) return held_page("再送を依頼する記録を選んでください。", 422);
        records.emplace_back(entity, key);
      }
      if (records.empty()) return held_page("保留中の記録はありません。", 200);
      auto asked = view.request_again(records, c.account->id);
      if (!asked) return asked.error().code == Errc::invalid_argument ? held_page("この記録は再送を依頼できません。", 422) : error(c, 503);
      log("linkage.request", c.account->id, records.size() == 1 ? records[0].first + "/" + records[0].second : "linkage_request",
          std::to_string(*asked) + " records");
      return held_page(*asked == 0 ? "依頼する記録がありませんでした。"
                                   : std::to_string(*asked) + "件の再送を依頼しました。連携サーバーが基幹システムへの依頼ファイルを書き、基幹システムが異動分として送り直します。",
                       200);
    }

    http::Response held() { return held_page("", 200); }

    http::Response held_page(const std::string& notice, int status) {
      auto records = view.held(kHeldShown);
      if (!records) return error(c, 503);
      mstch::array rows;
      for (const auto& h : *records) {
        rows.push_back(mstch::map{{"kind", linkage_kind_label(h.entity)},
                                  {"entity_q", percent_encode(h.entity)},
                                  {"key", h.key},
                                  {"key_q", percent_encode(h.key)},
                                  {"table", h.table},
                                  {"codes", joined(h.codes)},
                                  {"columns", joined(h.columns)},
                                  {"file", h.file},
                                  {"entity", h.entity}});
      }
      mstch::map content{{"records", rows},
                         {"count", std::to_string(records->size())},
                         {"more", records->size() >= kHeldShown},
                         {"limit", std::to_string(kHeldShown)},
                         {"notice", notice},
                         {"has_records", !records->empty()}};
      return content_page(c, "保留中の記録", domain::Menu::linkage, "gaiji_held", std::move(content), status);
    }

    http::Response print() {
      const std::string entity = query_value(c.req, "entity"), key = query_value(c.req, "key");
      if (entity.size() > 32 || key.size() > 128) return error(c, 404);
      auto fields = view.print_check(entity, key);
      if (!fields) return error(c, 503);
      if (!*fields) return error(c, 404);
      std::vector<std::string> codes;
      mstch::array rows;
      for (const auto& f : **fields) {
        for (const auto& u : f.unresolved) {
          if (std::find(codes.begin(), codes.end(), u) == codes.end()) codes.push_back(u);
        }
        rows.push_back(mstch::map{{"column", f.column},
                                  {"as_delivered", f.as_delivered},
                                  {"as_printed", f.as_printed},
                                  {"held_field", !f.unresolved.empty()},
                                  {"unresolved", joined(f.unresolved)}});
      }
      mstch::map content{{"fields", rows}, {"held", !codes.empty()}, {"codes", joined(codes)}, {"kind", linkage_kind_label(entity)}, {"key", key}};
      return content_page(c, "印字の確認", domain::Menu::linkage, "gaiji_print", std::move(content), 200);
    }
  };

  GaijiView& view_;
};

}  // namespace

std::unique_ptr<PageModule> make_gaiji_pages(Shell& shell, GaijiView& view) { return std::make_unique<GaijiPages>(shell, view); }

}  // namespace madoguchi::console::app
