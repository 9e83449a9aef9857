#include "ws/redact.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace ws {
namespace {

// Query parameter names that carry a credential, lowercase.
constexpr std::array<std::string_view, 6> kTokenParams = {"x-plex-token", "api_key", "apikey", "token",
                                                          "access_token", "x-emby-token"};

bool is_token_param(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(kTokenParams.begin(), kTokenParams.end(), lower) != kTokenParams.end();
}

bool ends_value(char c) {
  return c == '&' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>' || std::isspace(static_cast<unsigned char>(c));
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

}  // namespace

std::string redact_url(std::string_view url) {
  // Works on a bare URL, a query string, or a whole log line holding URLs: every `name=value`
  // whose name starts after `?`, `&` or the start of the text is checked.
  std::string out;
  out.reserve(url.size());
  size_t i = 0;
  while (i < url.size()) {
    const bool at_param_start = i == 0 || url[i - 1] == '?' || url[i - 1] == '&';
    if (at_param_start && is_name_char(url[i])) {
      size_t j = i;
      while (j < url.size() && is_name_char(url[j])) ++j;
      if (j < url.size() && url[j] == '=' && is_token_param(url.substr(i, j - i))) {
        out.append(url.substr(i, j + 1 - i));
        size_t k = j + 1;
        while (k < url.size() && !ends_value(url[k])) ++k;
        if (k > j + 1) out.append(kRedacted);
        i = k;
        continue;
      }
    }
    out.push_back(url[i]);
    ++i;
  }
  return out;
}

std::string redact_secrets(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  // Longest first, so a secret that contains another is replaced whole.
  std::vector<const std::string*> sorted;
  for (const auto& s : secrets) {
    if (!s.empty()) sorted.push_back(&s);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->size() > b->size(); });
  for (const auto* secret : sorted) {
    size_t pos = 0;
    while ((pos = out.find(*secret, pos)) != std::string::npos) {
      out.replace(pos, secret->size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  return out;
}

}  // namespace ws
