// Output files: the checks of an output path made before anything runs or is written, and
// files written under a temporary name and renamed over the target once they are complete.
//
// The no-clobber rule: whatever exists at an output path is left alone unless `overwrite` is
// given, and even then only a regular file (or a symbolic link to one) is replaced; a folder,
// a device, a pipe or a socket never is. A file is first written under a hidden temporary
// name in the target's folder, `.NAME.partial-PID` (NAME shortened to fit the file system's
// name limit, `-N` appended while that name is taken), and renamed over the target, in one
// atomic step, only when it is readable; until then the target is untouched, and a failure
// removes the temporary. A process killed before the rename leaves at most that temporary.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace aimarket {

// An output path that cannot or may not be written. what() names the path and the problem.
class OutputPathError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Checks that `path` may be written as a file: a name is given and fits the file system's
// limits; its folder exists and is writable; and what exists at the path, if anything, is a
// regular file (or a symbolic link to one) and `overwrite` is given. Throws OutputPathError,
// whose message starts with `what` and the quoted path, e.g. "output file 'x.h5': ...".
void check_output_path(const std::string& path, bool overwrite,
                       const std::string& what = "output file");

// Checks a folder that files are to be written into, creating none: an existing folder must
// be writable; a missing one must be creatable (its nearest existing ancestor is a writable
// folder). Throws OutputPathError naming `what` and the folder.
void check_output_folder(const std::string& folder, const std::string& what);

// The first of `inputs` that is the same file as `output` (after following symbolic links),
// or "" when none is: an output must never replace the input it is made from.
std::string same_file_as_output(const std::string& output, const std::vector<std::string>& inputs);

// A file written under a temporary name (see above) and renamed over its target by commit().
class PendingOutputFile {
 public:
  // Checks the path (check_output_path) and picks the temporary name; creates nothing.
  PendingOutputFile(const std::string& path, bool overwrite,
                    const std::string& what = "output file");
  ~PendingOutputFile();  // discard()
  PendingOutputFile(const PendingOutputFile&) = delete;
  PendingOutputFile& operator=(const PendingOutputFile&) = delete;

  const std::string& path() const { return path_; }                 // as given
  const std::string& temporary_path() const { return temporary_; }  // where to write
  // What commit() renames over: the path, or the file a symbolic link there points to.
  const std::string& target_path() const { return target_; }
  bool committed() const { return committed_; }

  // Creates the temporary, empty and exclusively (it is then this process's to remove), and
  // returns its open descriptor for the caller to close. Throws std::runtime_error naming
  // the file on failure.
  int create_temporary();
  // Renames the temporary over the target (without `overwrite`, only if nothing has appeared
  // there meanwhile). Throws OutputPathError, the temporary left in place, on failure.
  void commit();
  // Removes the temporary if this process created it and has not committed it.
  void discard() noexcept;

 private:
  std::string path_;
  std::string what_;
  bool overwrite_;
  std::string target_;
  std::string temporary_;
  bool created_ = false;
  bool committed_ = false;
};

// Writes `contents` to `path` through a PendingOutputFile. Throws OutputPathError for a path
// that may not be written, std::runtime_error naming the file when writing fails.
void write_output_file(const std::string& path, const std::string& contents, bool overwrite,
                       const std::string& what = "output file");

}  // namespace aimarket
