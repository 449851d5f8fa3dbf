#include "output/output_path.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

namespace aimarket {
namespace {

namespace fs = std::filesystem;

// Paths longer than this are shown shortened in messages (a 5,000-character name would
// otherwise bury the problem).
constexpr std::size_t kLongestShownPath = 160;

std::string shown(const std::string& path) {
  if (path.size() <= kLongestShownPath) return "'" + path + "'";
  return "'" + path.substr(0, kLongestShownPath / 2) + "...' (" + std::to_string(path.size()) +
         " characters)";
}

std::string error_text(int error) { return std::generic_category().message(error); }

[[noreturn]] void refuse(const std::string& what, const std::string& path,
                         const std::string& problem) {
  throw OutputPathError(what + " " + shown(path) + ": " + problem);
}

// The folder a file lies in: "." for a bare name.
std::string folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// Longest file name the file system of `folder` takes (NAME_MAX where it does not say).
std::size_t name_limit(const std::string& folder) {
  const long limit = ::pathconf(folder.c_str(), _PC_NAME_MAX);
  return limit > 0 ? static_cast<std::size_t>(limit) : static_cast<std::size_t>(NAME_MAX);
}

// The longest name (component) in a path.
std::string longest_name(const std::string& path) {
  std::string longest;
  for (const fs::path& part : fs::path(path)) {
    if (part.string().size() > longest.size()) longest = part.string();
  }
  return longest;
}

[[noreturn]] void refuse_long_name(const std::string& what, const std::string& path) {
  const std::string name = longest_name(path);
  const bool file_name = name == fs::path(path).filename().string();
  refuse(what, path,
         std::string(file_name ? "the file name" : "a folder name in the path") + " is " +
             std::to_string(name.size()) + " characters long, more than the file system allows (" +
             std::to_string(name_limit(folder_of(path))) + ")");
}

// What a problem with the folder of an output file is, or "" for none.
std::string folder_problem(const std::string& folder) {
  struct stat status {};
  if (::stat(folder.c_str(), &status) != 0) {
    const int error = errno;
    if (error == ENOENT) return "folder '" + folder + "' does not exist";
    if (error == ENOTDIR) return "'" + folder + "' is not a folder";
    return "folder '" + folder + "' cannot be reached (" + error_text(error) + ")";
  }
  if (!S_ISDIR(status.st_mode)) return "'" + folder + "' is not a folder";
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return "folder '" + folder + "' is not writable (" + error_text(errno) + ")";
  }
  return "";
}

// Describes a file type that is never replaced.
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISFIFO(mode)) return "a named pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Checks what exists at `path`; returns the path to write over (a symbolic link resolved),
// or `path` when nothing exists there.
std::string check_existing(const std::string& path, bool overwrite, const std::string& what) {
  struct stat link_status {};
  if (::lstat(path.c_str(), &link_status) != 0) {
    const int error = errno;
    if (error == ENOENT) return path;  // nothing there (or no folder: checked next)
    if (error == ENAMETOOLONG) refuse_long_name(what, path);
    if (error == ENOTDIR) {
      // Name the file that stands where a folder should.
      fs::path ancestor = fs::path(path).parent_path();
      struct stat status {};
      while (!ancestor.empty() && ::stat(ancestor.c_str(), &status) != 0) {
        ancestor = ancestor.parent_path();
      }
      refuse(what, path, "'" + ancestor.string() + "' is not a folder");
    }
    refuse(what, path, "cannot be looked up (" + error_text(error) + ")");
  }
  struct stat status = link_status;
  std::string target = path;
  if (S_ISLNK(link_status.st_mode)) {
    std::error_code ec;
    const fs::path destination = fs::read_symlink(path, ec);
    const std::string link_to = ec ? std::string("?") : destination.string();
    if (::stat(path.c_str(), &status) != 0) {
      const int error = errno;
      if (error == ENOENT) {
        refuse(what, path, "is a symbolic link to '" + link_to + "', which does not exist");
      }
      refuse(what, path,
             "is a symbolic link to '" + link_to + "' that cannot be followed (" +
                 error_text(error) + ")");
    }
    const fs::path resolved = fs::canonical(path, ec);
    if (ec) {
      refuse(what, path, "is a symbolic link that cannot be resolved (" + ec.message() + ")");
    }
    target = resolved.string();
  }
  if (!S_ISREG(status.st_mode)) {
    const std::string through = target != path ? " (through a symbolic link)" : "";
    refuse(what, path,
           std::string("is ") + kind_of(status.st_mode) + through +
               ", not a regular file; it is never replaced");
  }
  if (!overwrite) {
    throw OutputPathError(what + " " + shown(path) + " exists; pass --overwrite to replace it");
  }
  return target;
}

// Checks `path` and returns the path to write over.
std::string checked_target(const std::string& path, bool overwrite, const std::string& what) {
  if (path.empty()) refuse(what, path, "no file name given");
  if (path.size() >= PATH_MAX) {
    refuse(what, path,
           "the path is " + std::to_string(path.size()) +
               " characters long, more than the system allows (" + std::to_string(PATH_MAX - 1) +
               ")");
  }
  if (path.back() == '/') {
    struct stat status {};
    if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
      refuse(what, path, "is a folder, not a file");
    }
    refuse(what, path, "ends in '/': give a file name, not a folder");
  }
  std::string target = check_existing(path, overwrite, what);
  const std::string folder = folder_of(target);
  const std::string problem = folder_problem(folder);
  if (!problem.empty()) refuse(what, path, problem);
  if (fs::path(target).filename().string().size() > name_limit(folder)) {
    refuse_long_name(what, target);
  }
  return target;
}

}  // namespace

void check_output_path(const std::string& path, bool overwrite, const std::string& what) {
  checked_target(path, overwrite, what);
}

void check_output_folder(const std::string& folder, const std::string& what) {
  if (folder.empty()) throw OutputPathError(what + ": no folder given");
  struct stat status {};
  if (::stat(folder.c_str(), &status) == 0) {
    if (!S_ISDIR(status.st_mode)) refuse(what, folder, "exists and is not a folder");
    if (::access(folder.c_str(), W_OK | X_OK) != 0) {
      refuse(what, folder, "the folder is not writable (" + error_text(errno) + ")");
    }
    return;
  }
  if (errno != ENOENT && errno != ENOTDIR) {
    if (errno == ENAMETOOLONG) refuse_long_name(what, folder);
    refuse(what, folder, "cannot be reached (" + error_text(errno) + ")");
  }
  // A missing folder is created with its missing parents: the nearest existing one must
  // take new entries.
  fs::path ancestor = fs::path(folder);
  for (;;) {
    ancestor = ancestor.parent_path();
    const std::string name = ancestor.empty() ? "." : ancestor.string();
    if (::stat(name.c_str(), &status) != 0) {
      if ((errno == ENOENT || errno == ENOTDIR) && !ancestor.empty() &&
          ancestor != ancestor.root_path()) {
        continue;
      }
      refuse(what, folder,
             "cannot be created: '" + name + "' cannot be reached (" + error_text(errno) + ")");
    }
    if (!S_ISDIR(status.st_mode)) {
      refuse(what, folder, "cannot be created: '" + name + "' is not a folder");
    }
    if (::access(name.c_str(), W_OK | X_OK) != 0) {
      refuse(
          what, folder,
          "cannot be created: folder '" + name + "' is not writable (" + error_text(errno) + ")");
    }
    return;
  }
}

std::string same_file_as_output(const std::string& output, const std::vector<std::string>& inputs) {
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (fs::equivalent(output, input, ec) && !ec) return input;
  }
  return "";
}

PendingOutputFile::PendingOutputFile(const std::string& path, bool overwrite,
                                     const std::string& what)
    : path_(path),
      what_(what),
      overwrite_(overwrite),
      target_(checked_target(path, overwrite, what)) {
  const std::string folder = folder_of(target_);
  const std::string name = fs::path(target_).filename().string();
  const std::size_t limit = name_limit(folder);
  const std::string pid = std::to_string(::getpid());
  // A taken name is a stray of a killed process whose id this one reuses (or of another
  // machine sharing the folder): it is not ours to remove.
  for (int attempt = 0;; ++attempt) {
    const std::string suffix =
        ".partial-" + pid + (attempt == 0 ? std::string() : "-" + std::to_string(attempt));
    const std::size_t room = limit > suffix.size() + 2 ? limit - suffix.size() - 1 : 1;
    temporary_ = (fs::path(folder) / ("." + name.substr(0, room) + suffix)).string();
    struct stat status {};
    if (::lstat(temporary_.c_str(), &status) != 0 && errno == ENOENT) break;
    if (attempt == 100) {
      throw OutputPathError(what_ + " " + shown(path_) + ": no free temporary name like '" +
                            temporary_ + "' in its folder");
    }
  }
}

PendingOutputFile::~PendingOutputFile() { discard(); }

int PendingOutputFile::create_temporary() {
  const int fd = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw std::runtime_error(what_ + " " + shown(path_) + ": creating '" + temporary_ +
                             "' failed (" + error_text(errno) + ")");
  }
  created_ = true;
  return fd;
}

void PendingOutputFile::commit() {
  if (committed_) return;
  const auto fail = [this](int error) {
    throw OutputPathError(what_ + " " + shown(path_) + ": renaming '" + temporary_ +
                          "' to it failed (" + error_text(error) + ")");
  };
  const auto appeared = [this] {
    throw OutputPathError(what_ + " " + shown(path_) +
                          " appeared while this run was writing; it is not replaced");
  };
  if (overwrite_) {
    // Checked again: what the path holds may have changed since the run began.
    struct stat status {};
    if (::lstat(target_.c_str(), &status) == 0 && !S_ISREG(status.st_mode)) {
      refuse(what_, path_,
             std::string("is now ") + kind_of(status.st_mode) +
                 ", not a regular file; it is never replaced");
    }
    if (std::rename(temporary_.c_str(), target_.c_str()) != 0) fail(errno);
  } else if (::renameat2(AT_FDCWD, temporary_.c_str(), AT_FDCWD, target_.c_str(),
                         RENAME_NOREPLACE) != 0) {
    const int error = errno;
    if (error == EEXIST) appeared();
    if (error != EINVAL && error != ENOSYS) fail(error);
    // A file system that cannot rename without replacing: a hard link is not made over an
    // existing file either.
    if (::link(temporary_.c_str(), target_.c_str()) == 0) {
      ::unlink(temporary_.c_str());
    } else {
      const int link_error = errno;
      if (link_error == EEXIST) appeared();
      struct stat status {};
      if (::lstat(target_.c_str(), &status) == 0) appeared();
      if (std::rename(temporary_.c_str(), target_.c_str()) != 0) fail(errno);
    }
  }
  committed_ = true;
}

void PendingOutputFile::discard() noexcept {
  if (created_ && !committed_) ::unlink(temporary_.c_str());
  created_ = false;
}

void write_output_file(const std::string& path, const std::string& contents, bool overwrite,
                       const std::string& what) {
  PendingOutputFile pending(path, overwrite, what);
  const auto fail = [&](const std::string& doing, int error) {
    throw std::runtime_error(what + " " + shown(path) + ": " + doing + " failed (" +
                             error_text(error) + ")");
  };
  const int fd = pending.create_temporary();
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      fail("writing", error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) fail("writing", errno);
  pending.commit();
}

}  // namespace aimarket
