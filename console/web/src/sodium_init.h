// libsodium must be initialised before use; sodium_init() is idempotent and thread-safe.
// Internal to madoguchi_console_web.
#pragma once

namespace madoguchi::console::web::detail {

// Calls sodium_init() and aborts if it fails: without a random source the console cannot make
// session ids, and carrying on would be worse than stopping (broken environment, loudly).
void ensure_sodium();

}  // namespace madoguchi::console::web::detail
