// test_io.cpp: atomic writes (contents, no temporaries left, errors name the path) and
// run_program (exit codes, captured output, missing programs).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common.hpp"
#include "micrograd/io.hpp"

namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("micrograd-test-io-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
std::size_t count_files(const fs::path& d) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(d)) {
    (void)e;
    ++n;
  }
  return n;
}
}  // namespace

TEST(WriteFileAtomically, WritesAndReplaces) {
  const fs::path d = fresh_dir("write");
  const std::string p = (d / "out.txt").string();
  micrograd::write_file_atomically(p, "first");
  EXPECT_EQ(micrograd::testing::read_file(p), "first");
  micrograd::write_file_atomically(p, std::string("second\0with nul", 15));
  EXPECT_EQ(micrograd::testing::read_file(p), std::string("second\0with nul", 15));
  micrograd::write_file_atomically(p, "");
  EXPECT_EQ(micrograd::testing::read_file(p), "");
  EXPECT_EQ(count_files(d), 1u);  // no temporaries left
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_NE(st.st_mode & 0044, 0u);  // not mkstemp's 0600: readable like any new file (umask 022)
  fs::remove_all(d);
}

TEST(WriteFileAtomically, LargeContents) {
  const fs::path d = fresh_dir("large");
  const std::string big(5'000'000, 'x');
  micrograd::write_file_atomically((d / "big").string(), big);
  EXPECT_EQ(fs::file_size(d / "big"), big.size());
  fs::remove_all(d);
}

TEST(WriteFileAtomically, ErrorNamesPathAndReason) {
  try {
    micrograd::write_file_atomically("/nonexistent-dir-xyz/out.txt", "x");
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/nonexistent-dir-xyz/out.txt"), std::string::npos) << what;
    EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  }
  EXPECT_THROW(micrograd::write_file_atomically("", "x"), std::runtime_error);
}

TEST(WriteFileAtomically, TargetIsADirectory) {
  const fs::path d = fresh_dir("isdir");
  fs::create_directories(d / "sub");
  EXPECT_THROW(micrograd::write_file_atomically((d / "sub").string(), "x"), std::runtime_error);
  EXPECT_EQ(count_files(d), 1u);  // the temporary was removed
  fs::remove_all(d);
}

TEST(ProduceFileAtomically, CallbackWritesTemp) {
  const fs::path d = fresh_dir("produce");
  const std::string p = (d / "pic.svg").string();
  std::string seen;
  micrograd::produce_file_atomically(p, [&](const std::string& temp) {
    seen = temp;
    std::ofstream(temp) << "<svg/>";
  });
  EXPECT_EQ(micrograd::testing::read_file(p), "<svg/>");
  EXPECT_EQ(fs::path(seen).parent_path(), d);
  EXPECT_EQ(fs::path(seen).extension(), ".svg");  // same extension, for programs that care
  EXPECT_FALSE(fs::exists(seen));
  EXPECT_EQ(count_files(d), 1u);
  fs::remove_all(d);
}

TEST(ProduceFileAtomically, FailureKeepsOldFileAndRemovesTemp) {
  const fs::path d = fresh_dir("fail");
  const std::string p = (d / "pic.png").string();
  micrograd::write_file_atomically(p, "old");
  EXPECT_THROW(micrograd::produce_file_atomically(p,
                                                  [](const std::string& temp) {
                                                    std::ofstream(temp) << "partial";
                                                    throw std::runtime_error("boom");
                                                  }),
               std::runtime_error);
  EXPECT_EQ(micrograd::testing::read_file(p), "old");
  // A producer that writes nothing is an error too.
  EXPECT_THROW(micrograd::produce_file_atomically(p, [](const std::string&) {}),
               std::runtime_error);
  EXPECT_EQ(micrograd::testing::read_file(p), "old");
  EXPECT_EQ(count_files(d), 1u);
  fs::remove_all(d);
}

TEST(RunProgram, ExitStatusAndOutput) {
  const auto r = micrograd::run_program({"sh", "-c", "cat; echo err >&2; exit 3"}, "hello\n");
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.output, "hello\nerr\n");
}

TEST(RunProgram, MissingProgram) {
  const auto r = micrograd::run_program({"micrograd-no-such-program-xyz"});
  EXPECT_FALSE(r.found);
  EXPECT_THROW((void)micrograd::run_program({}), std::invalid_argument);
}

// What gnuplot or graphviz wrote is checked before it is published: a picture cut short (a full
// disk: gnuplot still exits 0) is refused with the name and the reason.
TEST(CheckImageComplete, RefusesPicturesCutShort) {
  const std::string dir = fresh_dir("check-image").string();
  const std::string png_head("\x89PNG\r\n\x1a\n", 8);
  const std::string png_end("\0\0\0\0IEND\xae\x42\x60\x82", 12);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    return dir + "/" + name;
  };
  EXPECT_NO_THROW(
      micrograd::check_image_complete(write("a.png", png_head + "data" + png_end), "a.png"));
  EXPECT_NO_THROW(micrograd::check_image_complete(write("a.svg", "<svg>...</svg>\n"), "a.svg"));
  EXPECT_NO_THROW(micrograd::check_image_complete(write("a.pdf", "%PDF-1.5 ... %%EOF\n"), "a.pdf"));
  const std::string cut = write("b.png", png_head + std::string(5000, 'x'));
  try {
    micrograd::check_image_complete(cut, "out/b.png");
    FAIL() << "a truncated PNG was accepted";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("out/b.png"), std::string::npos) << what;
    EXPECT_NE(what.find("incomplete (5008 bytes"), std::string::npos) << what;
  }
  EXPECT_THROW(micrograd::check_image_complete(write("b.svg", "<svg><g>"), "b.svg"),
               std::runtime_error);
  EXPECT_THROW(micrograd::check_image_complete(write("c.png", ""), "c.png"), std::runtime_error);
  EXPECT_THROW(micrograd::check_image_complete(dir + "/missing.png", "m.png"), std::runtime_error);
}

// kill -9 during a write leaves ".NAME.tmp-XXXXXX.ext"; the next run removes ours once they are
// old enough, and nothing else.
TEST(RemoveStaleTemporaries, RemovesOnlyOurOldTemporaries) {
  const fs::path d = fresh_dir("stale");
  auto touch = [&](const std::string& name, int age_seconds) {
    std::ofstream(d / name) << "x";
    fs::last_write_time(d / name,
                        fs::file_time_type::clock::now() - std::chrono::seconds(age_seconds));
  };
  touch(".graph.svg.tmp-a1B2c3.svg", 3600);  // ours, old: removed
  touch(".log.json.tmp-Zz9yY8.json", 3600);  // ours, old: removed
  touch(".log.csv.tmp-Qq1wW2", 3600);        // ours (no extension), old: removed
  touch(".plot.png.tmp-abcdef.png", 1);      // ours, fresh: a writer may still be running
  touch("graph.svg", 3600);                  // a real output
  touch(".hidden", 3600);                    // not ours
  touch(".notes.tmp-xyz", 3600);             // not our pattern (6 characters after tmp-)
  EXPECT_EQ(micrograd::remove_stale_temporaries(d.string()), 3u);
  EXPECT_EQ(count_files(d), 4u);
  EXPECT_TRUE(fs::exists(d / ".plot.png.tmp-abcdef.png"));
  EXPECT_TRUE(fs::exists(d / "graph.svg"));
  EXPECT_EQ(micrograd::remove_stale_temporaries((d / "missing").string()), 0u);
}
