#include "files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace madoguchi::provisioning::detail {
namespace {

Error io_error(std::string_view what, const std::filesystem::path& file, int err) {
  std::string m(what);
  m += " ";
  m += file.string();
  m += ": ";
  m += std::strerror(err);
  return make_error(Errc::io, std::move(m));
}

// Closes the descriptor on every path out of write_file_atomic.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  // Closes now and reports the error close() found (NFS reports write errors there).
  int close() noexcept {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status write_and_sync(const std::filesystem::path& tmp, std::string_view data, mode_t mode) {
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) return io_error("creating", tmp, errno);
  // open() applies the umask; force the exact mode so a 0644 certificate is not left 0600 and,
  // more importantly, a restrictive mode never depends on the caller's umask alone.
  if (::fchmod(fd.get(), mode) != 0) return io_error("setting mode of", tmp, errno);
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("writing", tmp, errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return io_error("syncing", tmp, errno);
  if (fd.close() != 0) return io_error("closing", tmp, errno);
  return {};
}

}  // namespace

Status make_directories(const std::filesystem::path& dir) {
  if (dir.empty()) return {};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(Errc::io, "creating directory " + dir.string() + ": " + ec.message());
  return {};
}

Status write_file_atomic(const std::filesystem::path& file, std::string_view data, mode_t mode) {
  if (auto st = make_directories(file.parent_path()); !st) return st;
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  // A leftover from an interrupted run may have any mode; O_EXCL below needs it gone.
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return io_error("removing", tmp, errno);
  if (auto st = write_and_sync(tmp, data, mode); !st) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("renaming into place", file, err);
  }
  // Make the rename itself durable. Failing to open the directory is not worth failing the write
  // for: the data is safe, only the name might roll back after a power cut.
  std::filesystem::path parent = file.parent_path().empty() ? "." : file.parent_path();
  Fd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0 && ::fsync(dir.get()) != 0) return io_error("syncing directory", parent, errno);
  return {};
}

Expected<std::string> read_file(const std::filesystem::path& file, std::size_t max_bytes) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("opening", file, errno);
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("reading", file, errno);
    }
    if (n == 0) return out;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return make_error(Errc::too_large,
                        file.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool path_exists(const std::filesystem::path& file) noexcept {
  std::error_code ec;
  auto st = std::filesystem::symlink_status(file, ec);
  if (ec) return ec != std::errc::no_such_file_or_directory;
  return std::filesystem::exists(st);
}

}  // namespace madoguchi::provisioning::detail
