// `lpicing verify`: checks a bundle as deploy would, writing nothing.
#include <stdio.h>

#include "bundle.h"
#include "cli.h"
#include "inputs.h"
#include "json_writer.h"

namespace lpicing_tool {

int cmd_verify(const Args& args) {
  Output out(args);
  if (auto problem = check_arguments(args, 1, 1, "BUNDLE", {})) return out.usage(*problem);
  const std::string& path = args.positional[0];
  const std::int64_t start = now_ns();
  lpicing::BundleOptions o;
  if (auto problem = read_bundle_options(args, &o)) return report(out, *problem);
  lpicing::UniqueFd fd;
  if (auto problem = open_bundle_file(path, &fd)) return report(out, *problem);
  lpweb::Result<lpicing::Bundle> read = lpicing::read_bundle(fd.get(), o, -1);
  if (!read)
    return out.fail(exit_code_for(read.error()), "rejected bundle " + lpicing::quote(path) + ": " + read.error().what(),
                    read.error().entry);
  const lpicing::Bundle& bundle = *read;
  std::uint64_t bytes = 0;
  for (const lpicing::BundleFile& f : bundle.files) bytes += f.size;
  const char* signature = bundle.signature_verified ? "verified" : bundle.signature ? "unchecked" : "unsigned";
  if (out.json_wanted()) {
    lpweb::JsonWriter j;
    j.begin_object().member("verb", "verify").member("bundle", path).member("revision", bundle.revision);
    j.member("files", static_cast<std::uint64_t>(bundle.files.size())).member("bytes", bytes);
    j.member("signature", signature).end_object();
    out.json(j.finish());
  }
  out.say("bundle %s is valid: revision %s, %zu files%s\n", path.c_str(), bundle.revision.c_str(), bundle.files.size(),
          bundle.signature_verified ? ", signature verified"
          : bundle.signature        ? ", signed (no trusted key given, signature not checked)"
                                    : ", unsigned");
  out.detail("%zu files, %zu directories, %llu bytes uncompressed; checked in %.3f s", bundle.files.size(),
             bundle.directories.size(), static_cast<unsigned long long>(bytes), seconds_since(start));
  return kExitOk;
}

}  // namespace lpicing_tool
