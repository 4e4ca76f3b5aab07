#include "madoguchi/edge/api.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "madoguchi/domain/staff.h"

namespace madoguchi::edge {

using nlohmann::json;
using http::Response;

namespace {

int status_for(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
    case Errc::malformed: return 400;
    case Errc::too_large: return 413;
    case Errc::not_found: return 404;
    case Errc::conflict: return 409;
    case Errc::forbidden: return 403;
    default: return 500;
  }
}

Response error_response(const Error& e) {
  // Server-side failures are described generically; details go to the log, not the client.
  if (status_for(e.code) == 500) return Response::error(500, "internal", "internal error");
  return Response::error(status_for(e.code), errc_name(e.code), e.message);
}

std::size_t query_size(const http::Request& r, const char* name, std::size_t fallback, std::size_t max) {
  auto it = r.query.find(name);
  if (it == r.query.end()) return fallback;
  std::size_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size()) return fallback;
  return std::min(v, max);
}

// The "scanner" object of the status (ISS-1, ISS-13): "none" when no scanner is configured.
// Counts and the device description only, never scanned bytes.
json scanner_json(const ScannerFeed* feed) {
  if (!feed) return json{{"state", "none"}};
  const auto st = feed->status();
  json j = {{"state", scanner::scanner_state_name(st.scanner.state)},
            {"id", scanner::usb_id_text(st.config.id)},
            {"mode", scanner::scanner_mode_name(st.config.mode)},
            {"device", st.scanner.device},
            {"scans", st.scanner.scans},
            {"errors", st.scanner.errors},
            {"dropped", st.dropped},
            {"queued", st.queued},
            {"connects", st.scanner.connects},
            {"last_error", st.scanner.last_error}};
  if (st.config.mode == scanner::ScannerMode::keyboard) j["layout"] = scanner::keyboard_layout_name(st.config.layout);
  return j;
}

json record_json(const ViewRecord& r) {
  json body = json::parse(r.body);
  domain::strip_secrets(r.entity, body);  // never a password hash
  return json{{"entity", r.entity}, {"key", r.key}, {"body", std::move(body)}, {"version", r.version}, {"pending", r.pending}};
}

}  // namespace

Response handle_api(ApiContext& ctx, const http::Request& req) {
  const std::string& path = req.path;
  if (path == "/healthz" && req.method == "GET") return Response::json(200, R"({"ok":true})");
  if (path == "/" && req.method == "GET") {
    // The root lists the API (the staff console is served on its own port).
    return Response::json(200, R"({"service":"madoguchi-edge","routes":["/healthz","/api/v1/status","/api/v1/records","/api/v1/records/{entity}/{key}","/api/v1/rejections"]})");
  }
  if (path == "/api/v1/status" && req.method == "GET") {
    auto st = ctx.store.stats();
    if (!st) return error_response(st.error());
    const auto& c = ctx.engine.counters();
    json j = {{"municipality", ctx.store.municipality()},
              {"device", ctx.store.device()},
              {"connected", ctx.transport.connected()},
              {"caught_up", ctx.engine.caught_up()},
              {"last_seq", st->last_seq},
              {"acked_upto", st->acked_upto},
              {"outbox_depth", st->outbox_depth},
              {"feed_seq", st->feed_seq},
              {"hub_head", ctx.engine.hub_head()},
              {"records", st->records},
              {"rejected", st->rejected},
              {"counters",
               {{"batches_sent", c.batches_sent}, {"ops_sent", c.ops_sent}, {"resends", c.resends}, {"acks", c.acks},
                {"changes_applied", c.changes_applied}, {"snapshots", c.snapshots},
                {"refused_messages", c.refused_messages}, {"sync_requests", c.sync_requests}}},
              {"scanner", scanner_json(ctx.scanner)}};
    return Response::json(200, j.dump());
  }
  if (path == "/api/v1/rejections" && req.method == "GET") {
    auto rows = ctx.store.rejections(query_size(req, "limit", 100, 1000));
    if (!rows) return error_response(rows.error());
    json arr = json::array();
    for (const auto& r : *rows) {
      arr.push_back({{"seq", r.seq}, {"entity", r.entity}, {"key", r.key}, {"kind", r.kind}, {"code", r.code},
                     {"reason", r.reason}, {"at_ms", r.at_ms}});
    }
    return Response::json(200, json{{"rejections", arr}}.dump());
  }
  if (path == "/api/v1/records" && req.method == "GET") {
    auto it = req.query.find("entity");
    std::string entity = it == req.query.end() ? "" : it->second;
    auto rows = ctx.store.list(entity, query_size(req, "limit", 100, 1000), query_size(req, "offset", 0, SIZE_MAX / 2));
    if (!rows) return error_response(rows.error());
    json arr = json::array();
    for (const auto& r : *rows) arr.push_back(record_json(r));
    return Response::json(200, json{{"records", arr}}.dump());
  }
  constexpr std::string_view prefix = "/api/v1/records/";
  if (path.rfind(prefix, 0) == 0) {
    std::string rest = path.substr(prefix.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos) return Response::error(404, "not_found", "no such route");
    std::string entity = rest.substr(0, slash), key = rest.substr(slash + 1);
    if (req.method == "GET") {
      auto r = ctx.store.get(entity, key);
      if (!r) return error_response(r.error());
      if (!*r) return Response::error(404, "not_found", "no such record");
      return Response::json(200, record_json(**r).dump());
    }
    if (req.method == "PUT" || req.method == "DELETE") {
      bool put = req.method == "PUT";
      auto seq = ctx.store.write(entity, key, put ? protocol::OpKind::upsert : protocol::OpKind::remove, req.body,
                                 ctx.clock.wall_ms());
      if (!seq) return error_response(seq.error());
      if (ctx.after_write) ctx.after_write();
      return Response::json(200, json{{"seq", *seq}}.dump());
    }
    return Response::error(405, "method_not_allowed", "method not allowed");
  }
  return Response::error(404, "not_found", "no such route");
}

}  // namespace madoguchi::edge
