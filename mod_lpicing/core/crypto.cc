// OpenSSL EVP wrappers: SHA-256 streaming digests and Ed25519 (pure, no prehash)
// signatures, matching `openssl pkeyutl -rawin`.
#include "crypto.h"
#include "hex.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <new>

namespace lpicing {

namespace {

struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

lpweb::Result<PkeyPtr> read_key(const std::string& pem, bool private_key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw std::bad_alloc();
  EVP_PKEY* k = private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                            : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  PkeyPtr key(k);
  if (!key)
    return lpweb::rejected(std::string("not a PEM ") + (private_key ? "private" : "public") + " key (" +
                           openssl_error() + ")");
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) return lpweb::rejected("key is not an Ed25519 key");
  return key;
}

}  // namespace

struct Sha256Hasher::Impl {
  MdCtxPtr ctx;
};

Sha256Hasher::Sha256Hasher() : impl_(new Impl) {
  impl_->ctx.reset(EVP_MD_CTX_new());
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::bad_alloc();
}

Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::update(const void* data, std::size_t len) {
  if (len) EVP_DigestUpdate(impl_->ctx.get(), data, len);
}

Sha256 Sha256Hasher::finish() {
  Sha256 out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &n);
  EVP_DigestInit_ex(impl_->ctx.get(), EVP_sha256(), nullptr);
  return out;
}

Sha256 sha256_of(std::string_view data) {
  Sha256Hasher h;
  h.update(data.data(), data.size());
  return h.finish();
}

std::string to_hex(const Sha256& digest) {
  std::string s;
  lpweb::append_hex(s, digest.data(), digest.size());
  return s;
}

std::optional<Sha256> from_hex(std::string_view hex) {
  Sha256 out;
  if (!lpweb::parse_hex(hex, out.data(), out.size())) return std::nullopt;
  return out;
}

bool digests_equal(const Sha256& a, const Sha256& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

lpweb::Status ed25519_check_public_key(const std::string& pem) {
  lpweb::Result<PkeyPtr> key = read_key(pem, false);
  if (!key) return key.error();
  return {};
}

lpweb::Status ed25519_verify(const std::string& public_key_pem, std::string_view message, std::string_view signature) {
  lpweb::Result<PkeyPtr> key = read_key(public_key_pem, false);
  if (!key) return key.error();
  if (signature.size() != 64)
    return lpweb::rejected("signature is " + std::to_string(signature.size()) + " bytes, not 64");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::bad_alloc();
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1)
    return lpweb::system_error("cannot verify: " + openssl_error());
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  if (rc != 1) return lpweb::rejected("signature does not match the trusted key");
  return {};
}

lpweb::Result<std::string> ed25519_sign(const std::string& private_key_pem, std::string_view message) {
  lpweb::Result<PkeyPtr> key = read_key(private_key_pem, true);
  if (!key) return key.error();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::bad_alloc();
  std::size_t len = 64;
  std::string signature(64, '\0');
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != 64)
    return lpweb::system_error("cannot sign: " + openssl_error());
  return signature;
}

}  // namespace lpicing
