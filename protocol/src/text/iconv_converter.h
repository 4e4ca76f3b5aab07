// Private to protocol/src/text: an owned glibc iconv handle (RAII). A handle keeps conversion
// state, so one object must not be used by two threads at once; the public functions open one
// per call, and to_excel_csv one per export.
#pragma once

#include <iconv.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "madoguchi/error.h"

namespace madoguchi::text::detail {

class IconvConverter {
 public:
  // Opens a converter. Errors: internal when glibc has no such conversion (missing gconv modules
  // are a broken installation, not bad input).
  static Expected<IconvConverter> open(const char* to_code, const char* from_code);

  // Why a conversion stopped.
  enum class Failure {
    invalid,     // an invalid sequence, or a character the target cannot represent (EILSEQ)
    incomplete,  // the input ends inside a multi-byte sequence (EINVAL)
  };
  struct Stop {
    Failure failure;
    std::size_t offset;  // byte offset in the input where conversion stopped
  };

  // Converts all of `input`, appending to `out`. Returns nullopt on success, or where and why it
  // stopped (the bytes converted before that point stay appended).
  std::optional<Stop> convert(std::string_view input, std::string& out);

 private:
  struct Closer {
    void operator()(void* handle) const noexcept;
  };
  explicit IconvConverter(iconv_t handle) : handle_(handle) {}
  std::unique_ptr<std::remove_pointer_t<iconv_t>, Closer> handle_;
};

}  // namespace madoguchi::text::detail
