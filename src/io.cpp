// io.cpp: atomic file writing (temp file in the target's directory, fsync, rename).
// Not here: anything format-specific.
#include "micrograd/io.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace micrograd {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error("cannot " + what + " '" + path + "': " + std::strerror(err));
}

// 0666 minus the process umask, the mode fopen would give a new file. Read from /proc so that
// no other thread ever sees a changed umask (umask() can only be read by setting it).
mode_t default_file_mode() {
  static const mode_t mode = [] {
    mode_t mask = 022;
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
      char line[256];
      while (std::fgets(line, sizeof line, f) != nullptr)
        if (std::strncmp(line, "Umask:", 6) == 0)
          mask = static_cast<mode_t>(std::strtoul(line + 6, nullptr, 8));
      std::fclose(f);
    }
    return static_cast<mode_t>(0666 & ~mask);
  }();
  return mode;
}

// A fresh, empty temporary file next to `path` with the same extension:
// "dir/.name.tmp-XXXXXX.ext". Returns the open descriptor and fills `temp`.
int make_temp(const std::string& path, std::string& temp) {
  if (path.empty()) throw std::runtime_error("cannot write a file with an empty path");
  const std::filesystem::path p(path);
  if (p.filename().empty()) fail("write", path, EISDIR);
  const std::string ext = p.extension().string();
  std::filesystem::path dir = p.parent_path();
  std::string name(1, '.');  // (not "." + string: g++ 12 gives a false -Wrestrict there)
  name += p.filename().string();
  name += ".tmp-XXXXXX";
  name += ext;
  std::string full = (dir.empty() ? std::filesystem::path(name) : dir / name).string();
  std::vector<char> buf(full.begin(), full.end());
  buf.push_back('\0');
  const int fd = ::mkstemps(buf.data(), static_cast<int>(ext.size()));
  if (fd < 0) fail("create a temporary file for", path, errno);
  temp.assign(buf.data());
  return fd;
}

// Flushes the data of `temp` to disk and renames it to `path`; removes `temp` on failure.
void commit(int fd, const std::string& temp, const std::string& path) {
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    fail("flush", path, err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail("close", path, err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail("rename a temporary file to", path, err);
  }
  // Make the rename itself durable (best effort: some file systems refuse fsync on a directory).
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir.assign(1, '.');
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents) {
  std::string temp;
  const int fd = make_temp(path, temp);
  // mkstemp creates 0600; a normal output file gets 0666 minus the umask, like fopen would.
  (void)::fchmod(fd, default_file_mode());
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      fail("write", path, err);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  commit(fd, temp, path);
}

void produce_file_atomically(const std::string& path,
                             const std::function<void(const std::string& temp_path)>& produce) {
  std::string temp;
  int fd = make_temp(path, temp);
  ::close(fd);
  try {
    produce(temp);
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  // The producer may have replaced the file (new inode), so reopen it before flushing.
  fd = ::open(temp.c_str(), O_RDWR);
  if (fd < 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail("open the file produced for", path, err);
  }
  (void)::fchmod(fd, default_file_mode());
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size == 0) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot write '" + path + "': the program producing it wrote nothing");
  }
  commit(fd, temp, path);
}

std::size_t remove_stale_temporaries(const std::string& dir, double min_age_seconds) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::size_t removed = 0;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // ".NAME.tmp-XXXXXX" then the target's extension (make_temp's pattern)
    const std::size_t tmp = name.rfind(".tmp-");
    if (name.size() < 2 || name[0] != '.' || tmp == std::string::npos || tmp < 2) continue;
    const std::string rest = name.substr(tmp + 5);  // XXXXXX[.ext]
    if (rest.size() < 6 || (rest.size() > 6 && rest[6] != '.')) continue;
    if (!it->is_regular_file(ec)) continue;
    const auto changed = fs::last_write_time(it->path(), ec);
    if (ec) continue;
    if (std::chrono::duration<double>(now - changed).count() < min_age_seconds) continue;
    if (fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

void check_image_complete(const std::string& file, const std::string& shown) {
  std::string ext = std::filesystem::path(shown).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) fail("read back", shown, errno);
  std::string head(8, '\0'), tail;
  const std::size_t got = std::fread(head.data(), 1, head.size(), f);
  head.resize(got);
  long size = 0;
  if (std::fseek(f, 0, SEEK_END) == 0) size = std::ftell(f);
  const long want = std::min<long>(size, 256);
  tail.resize(static_cast<std::size_t>(want));
  if (std::fseek(f, -want, SEEK_END) == 0) tail.resize(std::fread(tail.data(), 1, tail.size(), f));
  std::fclose(f);
  auto incomplete = [&](const char* what) {
    throw std::runtime_error("cannot write '" + shown + "': the picture came out incomplete (" +
                             std::to_string(size) + " bytes, " + what + "); is the disk full?");
  };
  static const std::string png_signature("\x89PNG\r\n\x1a\n", 8);
  static const std::string png_end("\0\0\0\0IEND\xae\x42\x60\x82", 12);
  if (ext == ".png") {
    if (head != png_signature) incomplete("no PNG signature");
    if (tail.size() < png_end.size() || tail.compare(tail.size() - 12, 12, png_end) != 0)
      incomplete("no PNG end chunk");
  } else if (ext == ".svg") {
    if (tail.find("</svg>") == std::string::npos) incomplete("no closing </svg>");
  } else if (ext == ".pdf") {
    if (tail.find("%%EOF") == std::string::npos) incomplete("no %%EOF");
  }
}

ProgramResult run_program(const std::vector<std::string>& argv, std::string_view stdin_text) {
  if (argv.empty()) throw std::invalid_argument("run_program: no program given");
  ProgramResult result;
  // Standard input: an unlinked temporary file holding the text (no pipe, so no deadlock).
  std::string in_name = (std::filesystem::temp_directory_path() / "micrograd-in-XXXXXX").string();
  std::vector<char> buf(in_name.begin(), in_name.end());
  buf.push_back('\0');
  const int in_fd = ::mkstemp(buf.data());
  if (in_fd < 0) fail("create a temporary file for the input of", argv[0], errno);
  ::unlink(buf.data());
  for (std::size_t done = 0; done < stdin_text.size();) {
    const ssize_t n = ::write(in_fd, stdin_text.data() + done, stdin_text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(in_fd);
      fail("write the input of", argv[0], err);
    }
    done += static_cast<std::size_t>(n);
  }
  ::lseek(in_fd, 0, SEEK_SET);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(in_fd);
    fail("create a pipe for", argv[0], err);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(in_fd);
  if (rc != 0) {
    ::close(out[0]);
    if (rc == ENOENT || rc == EACCES) return result;  // not installed
    fail("run", argv[0], rc);
  }
  result.found = true;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(out[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (result.output.size() < 65536) result.output.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace micrograd
