// Small ASCII text helpers the parsers share: config files, guids, ids, header names, webhook
// fields. ASCII only, on purpose: keys, schemes, header names and ids are ASCII, and titles are
// never case-folded.
#pragma once

#include <string>
#include <string_view>

namespace ws {

// `text` with A-Z made a-z; every other byte as it is.
std::string ascii_lower(std::string_view text);

// `text` without the white space (space, tab, CR, LF, VT, FF) at either end.
std::string_view trim(std::string_view text);

// Whether `text` begins with `prefix`, ignoring ASCII case.
bool starts_with_nocase(std::string_view text, std::string_view prefix);

// Whether `a` and `b` are equal, ignoring ASCII case.
bool equals_nocase(std::string_view a, std::string_view b);

}  // namespace ws
