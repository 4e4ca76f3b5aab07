// File helpers shared by the provisioning code. Internal header.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "madoguchi/error.h"

namespace madoguchi::provisioning::detail {

// Writes `data` to `file` so that readers see either the old content or the whole new content,
// never a prefix, and the file never exists with a wider mode than `mode` (it is created with
// `mode` under a temporary name in the same directory, fsynced, then renamed over `file`).
// Creates missing parent directories. Errc::io with the path and strerror on failure; the
// temporary file is removed on failure.
Status write_file_atomic(const std::filesystem::path& file, std::string_view data, mode_t mode);

// Reads a whole file of at most max_bytes. Errc::io if it cannot be read, Errc::too_large if it
// is bigger.
Expected<std::string> read_file(const std::filesystem::path& file, std::size_t max_bytes);

// Whether a path exists (any file type). An error other than "does not exist" counts as existing,
// so callers that refuse to overwrite stay on the safe side.
bool path_exists(const std::filesystem::path& file) noexcept;

// Creates dir and its parents. Errc::io on failure.
Status make_directories(const std::filesystem::path& dir);

}  // namespace madoguchi::provisioning::detail
