#include "madoguchi/edge/linkage_inbox.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <vector>

#include "madoguchi/domain/linkage_reconcile.h"

#ifndef MADOGUCHI_VERSION
#define MADOGUCHI_VERSION "dev"
#endif

namespace madoguchi::edge {

namespace fs = std::filesystem;
using domain::LinkageKind;

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0x0f];
  }
  return out;
}

namespace {

constexpr std::uint64_t kRowsPerScan = 20'000;
constexpr std::array<LinkageKind, 3> kKinds{LinkageKind::resident, LinkageKind::seal, LinkageKind::tax};

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Expected<std::string> read_file(const fs::path& path, std::size_t max_bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return Error{Errc::not_found, "ファイルがありません"};
  if (size > max_bytes) return Error{Errc::too_large, "ファイルが大きすぎます（" + std::to_string(max_bytes / 1024) + " KiB まで）"};
  std::ifstream in(path, std::ios::binary);
  std::string content(size, '\0');
  in.read(content.data(), static_cast<std::streamsize>(size));
  if (!in) return Error{Errc::io, "ファイルを読めません"};
  return content;
}

// The source a refused file belongs to, for its state at the hub: the header's when it can be
// read, else the file name's (<kind>-<source>-...), else "unknown".
std::string source_of(std::string_view bytes, const std::string& file_name) {
  auto ok = [](std::string_view s) {
    return !s.empty() && s.size() <= 16 && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
    });
  };
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  const std::string_view first = bytes.substr(0, std::min(bytes.find('\n'), std::size_t{256}));
  if (first.starts_with("#madoguchi-linkage,")) {
    std::size_t at = 0;
    for (int i = 0; i < 3 && at != std::string_view::npos; ++i) at = first.find(',', at + 1);
    if (at != std::string_view::npos) {
      std::string_view field = first.substr(at + 1);
      field = field.substr(0, field.find(','));
      if (ok(field)) return std::string(field);
    }
  }
  const auto dash = file_name.find('-');
  if (dash != std::string::npos) {
    const auto next = file_name.find('-', dash + 1);
    const std::string_view mid = std::string_view(file_name).substr(dash + 1, next == std::string::npos ? 0 : next - dash - 1);
    if (ok(mid)) return std::string(mid);
  }
  return "unknown";
}

struct SealImage {
  std::string sha256;
  std::string bytes;
};

// Every registered seal's impression PNG named by a seal file, checked: present, at most
// kMaxSealImageBytes, a PNG, its SHA-256 the row's. Errc::malformed names the line.
Expected<std::vector<SealImage>> read_impressions(const fs::path& folder, const domain::LinkageFile& file) {
  std::vector<SealImage> images;
  for (const auto& row : file.rows) {
    if (row.field("登録状態") != "1") continue;
    const std::string where = std::to_string(row.line) + "行目 印影ファイル: ";
    auto refused = [&](const std::string& why) { return Error{Errc::malformed, where + why}; };
    const std::string_view image_name = row.field("印影ファイル");
    const std::string_view image_sha = row.field("印影SHA256");
    if (image_name.empty() || image_sha.empty()) return refused("登録中の印鑑には印影ファイルとSHA-256が要ります");
    if (image_name.find('/') != std::string_view::npos || image_name.find('\\') != std::string_view::npos || image_name.starts_with(".")) {
      return refused("ファイル名だけを書いてください");
    }
    auto png = read_file(folder / std::string(image_name), kMaxSealImageBytes);
    if (!png) return refused(png.error().message);
    if (!png->starts_with("\x89PNG\r\n\x1a\n")) return refused("PNG ではありません");
    if (sha256_hex(*png) != image_sha) return refused("印影SHA256 と一致しません");
    images.push_back({std::string(image_sha), std::move(*png)});
  }
  return images;
}

// Inside a transaction: each impression not sent before, base64 in parts that fit a record body.
Status send_impressions(EdgeStore& store, const std::vector<SealImage>& images, std::int64_t now_ms) {
  for (const auto& image : images) {
    auto sent = store.linkage_image_sent(image.sha256);
    if (!sent) return sent.error();
    if (*sent) continue;
    const std::size_t parts = (image.bytes.size() + kSealImagePartBytes - 1) / kSealImagePartBytes;
    for (std::size_t i = 0; i < parts; ++i) {
      const nlohmann::json body = {{"v", 1}, {"sha256", image.sha256}, {"part", i + 1}, {"parts", parts},
                                   {"bytes", image.bytes.size()},
                                   {"data", base64(std::string_view(image.bytes).substr(i * kSealImagePartBytes, kSealImagePartBytes))}};
      auto seq = store.send_in_tx(std::string(domain::kSealImageEntity), image.sha256 + ":" + std::to_string(i + 1), body.dump(), now_ms);
      if (!seq) return seq.error();
    }
    if (auto s = store.mark_linkage_image_sent(image.sha256); !s) return s;
  }
  return {};
}

// When the file arrived: its modification time (the core system wrote it, then renamed it in),
// never later than now.
std::int64_t arrival_ms(const fs::path& path, std::int64_t now_ms) {
  std::error_code ec;
  const auto t = fs::last_write_time(path, ec);
  if (ec) return now_ms;
  const auto sys = std::chrono::file_clock::to_sys(t);
  const std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(sys.time_since_epoch()).count();
  return std::min(ms, now_ms);
}

}  // namespace

LinkageInbox::LinkageInbox(EdgeStore& store, fs::path inbox, std::string device, LogSink log)
    : store_(store), inbox_(std::move(inbox)), device_(std::move(device)), log_(std::move(log)) {}

Status LinkageInbox::init() {
  std::error_code ec;
  for (const char* sub : {"resident", "seal", "tax", "done", "rejected", "requests", "reconcile"}) {
    fs::create_directories(inbox_ / sub, ec);
    if (ec) return Error{Errc::io, "creating " + (inbox_ / sub).string() + ": " + ec.message()};
  }
  return {};
}

Expected<domain::LinkageSourceState> LinkageInbox::source_state(LinkageKind kind, const std::string& source) {
  auto stream = store_.linkage_stream(domain::linkage_kind_name(kind), source, "");
  if (!stream) return stream.error();
  if (stream->state.empty()) {
    domain::LinkageSourceState fresh;
    fresh.kind = kind;
    fresh.source = source;
    fresh.last_seq = stream->last_seq;
    return fresh;
  }
  return domain::linkage_source_from_body(stream->state);
}

// Inside a transaction: the state kept with the delta stream, and sent to the hub.
Status LinkageInbox::save_source_state(const domain::LinkageSourceState& state, std::int64_t now_ms) {
  const auto kind = domain::linkage_kind_name(state.kind);
  auto stream = store_.linkage_stream(kind, state.source, "");
  if (!stream) return stream.error();
  const std::string body = domain::linkage_source_body(state);
  if (body == stream->state) return {};
  stream->state = body;
  if (auto s = store_.set_linkage_stream(kind, state.source, "", *stream); !s) return s;
  auto seq = store_.send_in_tx(std::string(domain::kLinkageSourceEntity), domain::linkage_source_key(state.kind, state.source), body, now_ms);
  if (!seq) return seq.error();
  return {};
}

Status LinkageInbox::refuse(const fs::path& file, LinkageKind kind, const std::string& source, const std::string& why,
                            std::int64_t now_ms, InboxResult& result) {
  ++result.rejected;
  const std::string kind_name(domain::linkage_kind_name(kind));
  const std::string name = file.filename().string();
  log_(LogLevel::warning, "linkage file " + kind_name + "/" + name + " refused: " + why);
  // Reported to the hub first (連携状況, the staleness guard), then moved aside.
  auto state = source_state(kind, source);
  if (!state) return state.error();
  state->failure = domain::LinkageSourceState::Failure{name, why, now_ms};
  if (auto s = store_.transaction([&] { return save_source_state(*state, now_ms); }); !s) return s;
  // Never overwrite an earlier rejected file of the same name.
  auto target = inbox_ / "rejected" / (kind_name + "-" + name);
  for (int n = 2; fs::exists(target); ++n) target = inbox_ / "rejected" / (kind_name + "-" + std::to_string(n) + "-" + name);
  std::error_code ec;
  fs::rename(file, target, ec);
  if (ec) {
    // Left in place it would be refused again on every scan; say so loudly.
    log_(LogLevel::error, "could not move refused file " + name + ": " + ec.message());
    return {};
  }
  std::ofstream(target.string() + ".reason.txt") << name << ": " << why << "\n";
  return {};
}

Status LinkageInbox::take(const fs::path& path, LinkageKind kind, std::int64_t now_ms, InboxResult& result) {
  const std::string name = path.filename().string();
  const std::string kind_name(domain::linkage_kind_name(kind));
  auto bytes = read_file(path, domain::kMaxLinkageFileBytes);
  if (!bytes) {
    if (bytes.error().code == Errc::not_found) return {};  // vanished meanwhile
    return refuse(path, kind, source_of("", name), bytes.error().message, now_ms, result);
  }
  if (bytes->empty()) return refuse(path, kind, source_of("", name), "空のファイルです", now_ms, result);
  auto parsed = domain::parse_linkage_file(*bytes);
  if (!parsed) return refuse(path, kind, source_of(*bytes, name), parsed.error().message, now_ms, result);
  const domain::LinkageFile& file = *parsed;
  bytes->clear();
  bytes->shrink_to_fit();
  if (file.kind != kind) {
    return refuse(path, kind, file.source, "1行目: 種類（" + std::string(domain::linkage_kind_name(file.kind)) + "）がフォルダ（" +
                                               kind_name + "）と違います",
                  now_ms, result);
  }

  // Seal impressions: every registered seal's PNG, checked before anything is sent.
  std::vector<SealImage> images;
  if (kind == LinkageKind::seal) {
    auto read = read_impressions(path.parent_path() / ("seal-" + file.source + "-impressions"), file);
    if (!read) return refuse(path, kind, file.source, read.error().message, now_ms, result);
    images = std::move(*read);
  }

  const std::string run = file.full ? file.run_id : std::string();
  auto stream = store_.linkage_stream(kind_name, file.source, run);
  if (!stream) return stream.error();
  auto state = source_state(kind, file.source);
  if (!state) return state.error();
  const std::uint64_t first = file.rows.empty() ? 0 : file.rows.front().seq;
  const std::uint64_t last = file.rows.empty() ? 0 : file.rows.back().seq;

  // A file that skips ahead waits, with the gap reported once (LNK-3).
  if (first > stream->last_seq + 1) return hold(name, kind, run, stream->last_seq + 1, first, *state, now_ms, result);

  domain::LinkageBatch batch;
  batch.kind = kind;
  batch.source = file.source;
  batch.file = name;
  batch.run_id = file.run_id;
  batch.full = file.full;
  batch.first_seq = first;
  batch.last_seq = last;
  batch.rows = file.rows.size();
  batch.sha256 = file.sha256;
  batch.received_ms = arrival_ms(path, now_ms);
  batch.taken_ms = now_ms;
  std::string batch_key;
  const bool again = !file.rows.empty() && last <= stream->last_seq;
  if (again) {
    // Delivered again whole (LNK-6): nothing is sent twice; the file must be the one first taken.
    auto sha = store_.linkage_batch_sha(kind_name, file.source, run, first, last);
    if (!sha) return sha.error();
    if (*sha && **sha != file.sha256) {
      return refuse(path, kind, file.source,
                    "連携番号 " + std::to_string(first) + "〜" + std::to_string(last) + " の再送ですが、最初に受けたファイルと内容（SHA-256）が違います",
                    now_ms, result);
    }
    batch_key = domain::linkage_batch_key(batch) + ":again";
  } else {
    batch_key = domain::linkage_batch_key(batch);
  }

  std::size_t bad_line = 0;
  auto committed = store_.transaction([&]() -> Status {
    const std::string entity(domain::linkage_entity(kind));
    for (const auto& row : file.rows) {
      if (row.seq <= stream->last_seq) {
        ++batch.duplicates;
        continue;
      }
      const auto record = domain::linkage_record(file, row, name, now_ms);
      auto seq = store_.send_in_tx(entity, domain::linkage_record_key(kind, row), domain::linkage_record_body(record), now_ms);
      if (!seq) {
        bad_line = row.line;
        return seq.error();
      }
      ++batch.applied;
      ++batch.changes[row.change];
    }
    if (auto sent = send_impressions(store_, images, now_ms); !sent) return sent;
    auto b = store_.send_in_tx(std::string(domain::kLinkageBatchEntity), batch_key, domain::linkage_batch_body(batch), now_ms);
    if (!b) return b.error();
    if (!again && !file.rows.empty()) {
      if (auto s = store_.add_linkage_batch(kind_name, file.source, run, first, last, file.sha256); !s) return s;
    }
    if (last > stream->last_seq) {
      if (auto s = store_.set_linkage_stream(kind_name, file.source, run, {last, run.empty() ? stream->state : std::string()}); !s) {
        return s;
      }
      if (run.empty()) state->last_seq = last;
    }
    state->last_file = name;
    state->last_ms = now_ms;
    state->gap.reset();  // a file still held raises it again when it is looked at next
    state->failure.reset();
    return save_source_state(*state, now_ms);
  });
  if (!committed) {
    if (bad_line != 0 && (committed.error().code == Errc::too_large || committed.error().code == Errc::malformed)) {
      return refuse(path, kind, file.source, std::to_string(bad_line) + "行目: 1件が大きすぎます（" + committed.error().message + "）",
                    now_ms, result);
    }
    return committed;
  }
  held_reported_.erase(kind_name + "/" + name);
  if (again) {
    ++result.duplicates;
  } else {
    ++result.taken;
    result.rows += batch.applied;
  }
  std::error_code ec;
  fs::rename(path, inbox_ / "done" / (kind_name + "-" + name), ec);
  if (ec) log_(LogLevel::warning, "could not move " + name + " to done/: " + ec.message());
  return {};
}

Status LinkageInbox::hold(const std::string& name, LinkageKind kind, const std::string& run, std::uint64_t expected,
                          std::uint64_t found, domain::LinkageSourceState& state, std::int64_t now_ms, InboxResult& result) {
  ++result.held;
  const std::string kind_name(domain::linkage_kind_name(kind));
  if (!state.gap || state.gap->expected != expected || state.gap->found > found) {
    state.gap = domain::LinkageSourceState::Gap{name, expected, found, now_ms};
    if (auto s = store_.transaction([&] { return save_source_state(state, now_ms); }); !s) return s;
  }
  if (held_reported_.insert(kind_name + "/" + name).second) {
    log_(LogLevel::error, "linkage " + kind_name + "/" + state.source + (run.empty() ? "" : " run " + run) + ": 連携番号 " +
                              std::to_string(expected) + ".." + std::to_string(found - 1) + " missing; " + name + " is held");
  }
  return {};
}

Status LinkageInbox::heartbeat(std::int64_t now_ms) {
  if (last_beat_ms_ != 0 && now_ms - last_beat_ms_ < kLinkageHeartbeatMs && now_ms >= last_beat_ms_) return {};
  last_beat_ms_ = now_ms;
  domain::LinkageAgentBeat beat{device_, now_ms, MADOGUCHI_VERSION};
  return store_.transaction([&]() -> Status {
    auto seq = store_.send_in_tx(std::string(domain::kLinkageAgentEntity), device_, domain::linkage_agent_body(beat), now_ms);
    if (!seq) return seq.error();
    return {};
  });
}

Expected<InboxResult> LinkageInbox::scan(std::int64_t now_ms) {
  InboxResult result;
  for (LinkageKind kind : kKinds) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::directory_iterator(inbox_ / std::string(domain::linkage_kind_name(kind)), ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      auto fname = it->path().filename().string();
      if (fname.empty() || fname[0] == '.') continue;  // still being written (write, then rename)
      if (fname.ends_with(".png")) continue;
      files.push_back(it->path());
    }
    // Delivery order: a full copy's parts first (it is the state the deltas beside it follow), then
    // the deltas, each in name order (the sequence numbers are in the names).
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
      const bool fa = a.filename().string().find("-full-") != std::string::npos;
      const bool fb = b.filename().string().find("-full-") != std::string::npos;
      return fa != fb ? fa : a < b;
    });
    for (const auto& f : files) {
      if (auto s = take(f, kind, now_ms, result); !s) return s.error();
      // After a large file, give the sync engine a turn: the next scan goes on (an initial copy's
      // parts then reach the hub while the next is read).
      if (result.rows >= kRowsPerScan) break;
    }
    if (result.rows >= kRowsPerScan) break;
  }
  if (result.rows < kRowsPerScan) {
    if (auto s = reconcile(now_ms, result); !s) return s.error();
  }
  if (auto s = write_requests(now_ms, result); !s) return s.error();
  if (auto s = heartbeat(now_ms); !s) return s.error();
  return result;
}

Status LinkageInbox::write_requests(std::int64_t now_ms, InboxResult& result) {
  const std::string entity(domain::kLinkageRequestEntity);
  auto held = store_.list(entity, 64, 0);
  if (!held) return held.error();
  for (const auto& v : *held) {
    if (v.pending) continue;  // marked sent here, not yet confirmed by the hub
    auto request = domain::linkage_request_from_body(v.key, v.body);
    if (!request) {
      if (held_reported_.insert("request/" + v.key).second) log_(LogLevel::error, "re-request " + v.key + " unreadable: " + request.error().message);
      continue;
    }
    if (request->sent) continue;
    // Written under a dot name and renamed: the core system never reads half a request.
    const std::string name = domain::linkage_request_file_name(*request);
    const fs::path temp = inbox_ / "requests" / ("." + name);
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << domain::linkage_request_file(*request);
      out.flush();
      if (!out) return Error{Errc::io, "writing " + temp.string()};
    }
    std::error_code ec;
    fs::rename(temp, inbox_ / "requests" / name, ec);
    if (ec) return Error{Errc::io, "renaming " + temp.string() + ": " + ec.message()};
    request->sent = true;
    request->sent_ms = now_ms;
    request->file = name;
    auto marked = store_.write(entity, v.key, protocol::OpKind::upsert, domain::linkage_request_body(*request), now_ms);
    if (!marked) return marked.error();
    ++result.requests;
    log_(LogLevel::info, "re-request " + v.key + " (" + request->reason + "): " + std::to_string(request->keys.size()) +
                             " records asked of " + request->source + " in requests/" + name);
  }
  return {};
}

void LinkageInbox::refuse_extract(const fs::path& file, const std::string& why, InboxResult& result) {
  ++result.rejected;
  const std::string name = file.filename().string();
  log_(LogLevel::error, "reconciliation extract " + name + " refused: " + why);
  auto target = inbox_ / "rejected" / ("reconcile-" + name);
  for (int n = 2; fs::exists(target); ++n) target = inbox_ / "rejected" / ("reconcile-" + std::to_string(n) + "-" + name);
  std::error_code ec;
  fs::rename(file, target, ec);
  if (ec) {
    log_(LogLevel::error, "could not move refused extract " + name + ": " + ec.message());
    return;
  }
  std::ofstream(target.string() + ".reason.txt") << name << ": " << why << "\n";
}

Status LinkageInbox::reconcile(std::int64_t now_ms, InboxResult& result) {
  struct Extract {
    domain::LinkageFileHeader header;
    std::map<std::uint32_t, fs::path> parts;
  };
  std::map<std::tuple<LinkageKind, std::string, std::string>, Extract> extracts;
  std::error_code ec;
  for (auto it = fs::directory_iterator(inbox_ / "reconcile", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::string first(1024, '\0');
    {
      std::ifstream in(it->path(), std::ios::binary);
      in.read(first.data(), static_cast<std::streamsize>(first.size()));
      first.resize(static_cast<std::size_t>(in.gcount()));
    }
    auto header = domain::parse_linkage_header(first);
    if (!header) {
      refuse_extract(it->path(), header.error().message, result);
      continue;
    }
    if (!header->full || header->parts == 0) {
      refuse_extract(it->path(), "1行目: 照合用の抽出は全件（full）で、反映済み連携番号と部番号（部/部数）を書きます", result);
      continue;
    }
    auto& extract = extracts[{header->kind, header->source, header->run_id}];
    if (extract.parts.empty()) extract.header = *header;
    if (header->parts != extract.header.parts || header->as_of != extract.header.as_of || extract.parts.count(header->part)) {
      refuse_extract(it->path(), "1行目: 同じ実行IDのほかの部と、部数・反映済み連携番号が合わないか、部番号が重複しています", result);
      continue;
    }
    extract.parts[header->part] = it->path();
  }
  for (const auto& [id, extract] : extracts) {
    const auto& [kind, source, run] = id;
    const std::string what = std::string(domain::linkage_kind_name(kind)) + "/" + source + " run " + run;
    if (extract.parts.size() < extract.header.parts) {
      if (held_reported_.insert("reconcile/" + what).second) {
        log_(LogLevel::info, "reconciliation extract " + what + ": " + std::to_string(extract.parts.size()) + " of " +
                                 std::to_string(extract.header.parts) + " parts here; waiting for the rest");
      }
      continue;
    }
    // Compared only once this agent has sent every delta the extract reflects.
    auto state = source_state(kind, source);
    if (!state) return state.error();
    if (state->last_seq < extract.header.as_of) {
      if (held_reported_.insert("reconcile-as-of/" + what).second) {
        log_(LogLevel::info, "reconciliation extract " + what + " reflects 連携番号 " + std::to_string(extract.header.as_of) +
                                 "; waiting for the deltas up to it (sent up to " + std::to_string(state->last_seq) + ")");
      }
      continue;
    }
    std::vector<fs::path> parts;
    for (const auto& [n, path] : extract.parts) parts.push_back(path);
    if (auto s = send_digest(parts, extract.header, now_ms, result); !s) return s;
    held_reported_.erase("reconcile/" + what);
    held_reported_.erase("reconcile-as-of/" + what);
  }
  return {};
}

Status LinkageInbox::send_digest(const std::vector<fs::path>& parts, const domain::LinkageFileHeader& header, std::int64_t now_ms,
                                 InboxResult& result) {
  std::vector<std::pair<std::string, std::string>> entries;
  std::set<std::string> keys;
  for (const auto& path : parts) {
    auto bytes = read_file(path, domain::kMaxLinkageFileBytes);
    if (!bytes) {
      if (bytes.error().code == Errc::not_found) return {};  // vanished meanwhile: looked at again next scan
      for (const auto& p : parts) refuse_extract(p, path.filename().string() + ": " + bytes.error().message, result);
      return {};
    }
    auto file = domain::parse_linkage_file(*bytes);
    std::string why;
    if (!file) {
      why = file.error().message;
    } else {
      for (const auto& row : file->rows) {
        std::string key = domain::linkage_record_key(header.kind, row);
        if (!keys.insert(key).second) {
          why = std::to_string(row.line) + "行目: 同じ記録（キー）が抽出に2度あります";
          break;
        }
        entries.emplace_back(std::move(key), domain::linkage_content_digest(row.fields));
      }
    }
    if (!why.empty()) {
      // One unreadable part makes the extract useless: all of it is refused.
      for (const auto& p : parts) refuse_extract(p, path.filename().string() + ": " + why, result);
      return {};
    }
  }
  const std::size_t per = domain::kDigestEntriesPerChunk;
  const std::size_t chunks = std::max<std::size_t>(1, (entries.size() + per - 1) / per);
  auto committed = store_.transaction([&]() -> Status {
    for (std::size_t c = 0; c < chunks; ++c) {
      domain::LinkageDigest d;
      d.kind = header.kind;
      d.source = header.source;
      d.run = header.run_id;
      d.as_of = header.as_of;
      d.chunk = static_cast<std::uint32_t>(c + 1);
      d.chunks = static_cast<std::uint32_t>(chunks);
      d.records = entries.size();
      d.sent_ms = now_ms;
      const std::size_t from = c * per;
      d.entries.assign(entries.begin() + static_cast<std::ptrdiff_t>(std::min(from, entries.size())),
                       entries.begin() + static_cast<std::ptrdiff_t>(std::min(from + per, entries.size())));
      auto seq = store_.send_in_tx(std::string(domain::kLinkageDigestEntity), domain::linkage_digest_key(d), domain::linkage_digest_body(d), now_ms);
      if (!seq) return seq.error();
    }
    return {};
  });
  if (!committed) return committed;
  ++result.reconciled;
  log_(LogLevel::info, "reconciliation extract " + std::string(domain::linkage_kind_name(header.kind)) + "/" + header.source + " run " +
                           header.run_id + ": digest of " + std::to_string(entries.size()) + " records sent");
  for (const auto& path : parts) {
    std::error_code ec;
    fs::rename(path, inbox_ / "done" / ("reconcile-" + path.filename().string()), ec);
    if (ec) log_(LogLevel::warning, "could not move " + path.filename().string() + " to done/: " + ec.message());
  }
  return {};
}

}  // namespace madoguchi::edge
