#include "madoguchi/edge/linkage_inbox.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

namespace madoguchi::edge {

namespace fs = std::filesystem;

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

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

LinkageInbox::LinkageInbox(EdgeStore& store, fs::path inbox, LogSink log)
    : store_(store), inbox_(std::move(inbox)), log_(std::move(log)) {}

Status LinkageInbox::init() {
  std::error_code ec;
  for (const char* sub : {"resident", "tax", "done", "rejected"}) {
    fs::create_directories(inbox_ / sub, ec);
    if (ec) return Error{Errc::io, "creating " + (inbox_ / sub).string() + ": " + ec.message()};
  }
  return {};  // the linkage_taken table is in the edge schema (edge_schema.cc)
}

void LinkageInbox::reject(const fs::path& file, const std::string& source, const std::string& why, InboxResult& result) {
  ++result.rejected;
  log_(LogLevel::warning, "delta file " + source + "/" + file.filename().string() + " rejected: " + why);
  // Never overwrite an earlier rejected file of the same name.
  auto target = inbox_ / "rejected" / (source + "-" + file.filename().string());
  for (int n = 2; fs::exists(target); ++n) {
    target = inbox_ / "rejected" / (source + "-" + std::to_string(n) + "-" + file.filename().string());
  }
  std::error_code ec;
  fs::rename(file, target, ec);
  if (ec) {
    // Left in place it would be refused again on every scan; say so loudly.
    log_(LogLevel::error, "could not move rejected file " + file.filename().string() + ": " + ec.message());
    return;
  }
  std::ofstream(target.string() + ".reason.txt") << why << "\n";
}

Status LinkageInbox::take(const fs::path& file, const std::string& source, std::int64_t now_ms, InboxResult& result) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return {};  // vanished meanwhile
  if (size == 0) {
    reject(file, source, "empty file", result);
    return {};
  }
  if (size > kMaxDeltaBytes) {
    reject(file, source, "larger than " + std::to_string(kMaxDeltaBytes) + " bytes", result);
    return {};
  }
  std::ifstream in(file, std::ios::binary);
  std::string content(size, '\0');
  in.read(content.data(), static_cast<std::streamsize>(size));
  if (!in) return Error{Errc::io, "reading " + file.string()};
  if (!valid_utf8(content)) {
    reject(file, source, "not UTF-8 text (convert Shift_JIS files to UTF-8 before delivery)", result);
    return {};
  }
  std::string name = source + "/" + file.filename().string();
  std::string sha = sha256_hex(content);

  nlohmann::json body = {{"source", source}, {"file", file.filename().string()}, {"sha256", sha},
                         {"bytes", size}, {"received_ms", now_ms}, {"text", content}};
  std::string body_text = body.dump();
  if (body_text.size() > protocol::kMaxBodyBytes) {
    // Escaping (quotes, control characters) made it too large for one operation.
    reject(file, source, "too large once encoded (" + std::to_string(body_text.size()) + " bytes)", result);
    return {};
  }

  bool already = false;
  auto taken = store_.transaction([&]() -> Status {
    auto seen = store_.linkage_taken(name, sha);
    if (!seen) return seen.error();
    already = *seen;
    if (already) return {};
    auto seq = store_.write_in_tx(source + "_delta", sha256_hex(name + '\0' + content), protocol::OpKind::upsert, body_text, now_ms);
    if (!seq) return seq.error();
    return store_.mark_linkage_taken(name, sha, *seq);
  });
  if (!taken) return taken;
  if (already) {
    ++result.duplicates;
  } else {
    ++result.taken;
  }
  fs::rename(file, inbox_ / "done" / (source + "-" + file.filename().string()), ec);
  if (ec) log_(LogLevel::warning, "could not move " + file.filename().string() + " to done/: " + ec.message());
  return {};
}

Expected<InboxResult> LinkageInbox::scan(std::int64_t now_ms) {
  InboxResult result;
  for (const char* source : {"resident", "tax"}) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::directory_iterator(inbox_ / source, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      auto fname = it->path().filename().string();
      if (fname.empty() || fname[0] == '.') continue;  // still being written (write, then rename)
      files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());  // delivery order = name order (time-stamped names)
    for (const auto& f : files) {
      if (auto s = take(f, source, now_ms, result); !s) return s.error();
    }
  }
  return result;
}

}  // namespace madoguchi::edge
