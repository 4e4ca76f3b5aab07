// The search filter of a 交付管理 query (console::app::CardQuery), for the card stores that search
// card_index (card_index.h). A target of its own (madoguchi_card_query), so that a store's core
// library can keep the index without the console.
#pragma once

#include "madoguchi/console/app/card_store.h"
#include "madoguchi/console/card_index/card_index.h"
#include "madoguchi/error.h"

namespace madoguchi::console::card_index {

// The manufacture number upper-cased, the name folded (text::search_key) into the column its
// script can be in, dates as booking times. Errors: invalid_argument naming the field.
Expected<Filter> filter_of(const app::CardQuery& query);

}  // namespace madoguchi::console::card_index
