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

// Whether `text` is exactly 32 lowercase hex digits (a Jellyfin / Emby GUID in its "N" form).
bool is_hex32_lower(std::string_view text);

// The 16 bytes of such a text (REQUIRES: is_hex32_lower), appended to `out`; and back: 16 bytes
// as 32 lowercase hex digits appended to `out`. Stored forms use them to halve those ids.
void append_hex32_bytes(std::string& out, std::string_view hex32);
void append_bytes_hex32(std::string& out, std::string_view bytes16);

}  // namespace ws
