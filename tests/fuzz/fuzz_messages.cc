// libFuzzer target: madoguchi::protocol::decode on arbitrary bytes. A message that decodes must
// encode (encode asserts the bounds, so this checks that decode enforces all of them), decode
// again, and encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "madoguchi/protocol/messages.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace p = madoguchi::protocol;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto message = p::decode(bytes);
  if (!message) return 0;
  const std::string encoded = p::encode(*message);
  auto again = p::decode(encoded);
  check(again.ok());
  check(again->index() == message->index());
  check(p::encode(*again) == encoded);
  return 0;
}
