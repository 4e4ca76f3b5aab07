// `madoguchi-bench konbini`: convenience-store issuance measured end to end through real processes
// (issue 13): the broker, the hub with its issuance service over mutual TLS, the linkage agent that
// delivered a generated town, and simulated kiosks (sim/kiosk.h) signing with simulated cards
// (sim/jpki.h) in threads of this process. Figures and goals: docs/performance.md.
//
//   konbini.issue_p50_ms / _p99_ms   ms  one kiosk's whole request (challenge, the card's signature,
//                                        JPKI verification, suppression, the PDF, the confirmation)
//                                        at --kiosks concurrent kiosks (100)
//   konbini.certificates_per_second  certificates issued per second under that load
//   konbini.pdf_ms                   ms  one residence copy's rendering (Pango/cairo), in-process
//   konbini.wrong_subject            certificates whose record or PDF text is not the card's
//                                    resident: must be 0
#pragma once

#include "bench.h"

namespace madoguchi::bench {

int run_konbini(const Args& args, Reporter& out);

}  // namespace madoguchi::bench
