// SHA-256 and Ed25519 through OpenSSL's EVP interface, for bundles and the store.
// Nothing here throws except std::bad_alloc; failures are reported through return values.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "index.h"
#include "result.h"

namespace lpicing {

// Incremental SHA-256, so an entry is hashed while it streams past.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void update(const void* data, std::size_t len);
  Sha256 finish();  // the hasher is reset and can be reused

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Sha256 sha256_of(std::string_view data);
std::string to_hex(const Sha256& digest);
// Accepts upper or lower case; nothing unless exactly 64 hex digits.
std::optional<Sha256> from_hex(std::string_view hex);
// Constant time, so a forged checksum learns nothing from timing.
bool digests_equal(const Sha256& a, const Sha256& b);

// Verifies a raw 64-byte Ed25519 signature over `message` with a PEM public key
// (as `openssl pkeyutl -sign -rawin` makes); the error says why it does not verify.
lpweb::Status ed25519_verify(const std::string& public_key_pem, std::string_view message,
                             std::string_view signature);
// Whether `pem` holds an Ed25519 public key, and why not.
lpweb::Status ed25519_check_public_key(const std::string& pem);
// The raw 64-byte signature of `message` with a PEM Ed25519 private key.
lpweb::Result<std::string> ed25519_sign(const std::string& private_key_pem, std::string_view message);

}  // namespace lpicing
