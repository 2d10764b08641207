// Text for the status outputs both modules write: JSON string literals and
// Prometheus label values that stay well-formed (valid UTF-8, escaped) for
// any bytes, whatever a key holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lpweb {

// Length of the valid UTF-8 sequence starting at s[i] (i < s.size()), or 0 when
// the bytes there are not valid UTF-8 (overlongs and surrogates included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

// Whether every byte of `s` is part of a valid UTF-8 sequence.
bool valid_utf8(std::string_view s) noexcept;

// Appends `s` as a JSON string literal: control characters and DEL as \u00XX,
// invalid UTF-8 bytes as \ufffd.
void append_json_string(std::string& out, std::string_view s);

// Appends `s` as a quoted Prometheus label value: backslash, double quote and
// newline escaped, other control characters as '?', invalid UTF-8 bytes as U+FFFD.
void append_prometheus_label_value(std::string& out, std::string_view s);

// Appends `s` for HTML text or an attribute value: & < > " ' as entities,
// control characters dropped, invalid UTF-8 bytes as U+FFFD.
void append_html_escaped(std::string& out, std::string_view s);

// The pieces of `s` between each `sep` ("a,,b" → "a", "", "b"; "" → "").
std::vector<std::string_view> split(std::string_view s, char sep);

// A byte count for people: "512.0 KiB" below 1 MiB, else "3.2 MiB".
std::string human_bytes(std::uint64_t n);

// `name` in double quotes for a message: backslash and '"' escaped, control
// characters as \xNN, so a hostile name cannot forge a log line.
std::string quote(std::string_view name);

// Whether a status page's query string asks for Prometheus text: one of its
// '&'-separated fields is exactly "format=prometheus".
bool wants_prometheus(std::string_view query);

}  // namespace lpweb
