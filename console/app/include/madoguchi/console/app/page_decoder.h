// The QR import's page images (ISS-1: a scanned page of J-LIS codes, at a counter PC and at the
// hub): console::app::PageDecoder over drivers/imaging (ZXing), with the staff's messages for an
// image that is too large or not an image. A library of its own (madoguchi_console_imaging), so
// console::app itself decodes no images.
#pragma once

#include "madoguchi/console/app/console_app.h"

namespace madoguchi::console::app {

PageDecoder qr_page_decoder();

}  // namespace madoguchi::console::app
