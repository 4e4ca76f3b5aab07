#include "madoguchi/http/api_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <fstream>
#include <iterator>

namespace madoguchi::http {
namespace {

bool token_like(std::string_view t) {
  if (t.size() != kApiTokenHexChars) return false;
  for (char ch : t) {
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  }
  return true;
}

Expected<std::string> read_token_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(Errc::io, "cannot read " + file.string());
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!token_like(text)) return make_error(Errc::malformed, file.string() + " does not hold an API token");
  return text;
}

}  // namespace

Expected<std::string> read_api_token(const std::filesystem::path& file) { return read_token_file(file); }

Expected<std::string> ensure_api_token(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0) {
      return make_error(Errc::forbidden, file.string() + " is readable by others: chmod 600 it (or delete it for a new token)");
    }
    return read_token_file(file);
  }
  std::array<unsigned char, kApiTokenHexChars / 2> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return make_error(Errc::crypto, "no random bytes");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  // O_EXCL: two starting processes do not overwrite each other's token.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return read_token_file(file);
    return make_error(Errc::io, "cannot create " + file.string());
  }
  const std::string line = token + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return make_error(Errc::io, "cannot write " + file.string());
  return token;
}

bool has_api_token(const Request& request, std::string_view token) {
  auto it = request.headers.find("authorization");
  if (it == request.headers.end()) return false;
  constexpr std::string_view kBearer = "Bearer ";
  const std::string& value = it->second;
  if (value.size() != kBearer.size() + token.size() || value.compare(0, kBearer.size(), kBearer) != 0) return false;
  return CRYPTO_memcmp(value.data() + kBearer.size(), token.data(), token.size()) == 0;
}

Response api_token_required() {
  Response r = Response::error(401, "unauthorized", "this API needs its token: Authorization: Bearer <token file content>");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace madoguchi::http
