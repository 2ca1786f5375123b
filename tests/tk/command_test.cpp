// The command layer: words travel as Tcl_Obj vectors and never run as code;
// C++ callbacks as Tcl commands; exceptions become a dialog and a stderr line;
// the window manager's close request runs the close handler.
#include "handoff/tk/interp.hpp"
#include "handoff/tk/obj.hpp"
#include "handoff/tk/tcl_error.hpp"
#include "handoff/tk/tk_loop.hpp"
#include "tk/tk_test_support.hpp"

#include <tcl.h>
#include <tk.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using handoff::tk::interp;
using handoff::tk::obj;
using handoff::tk::tcl_error;
using handoff::tk::tk_loop;
using handoff::tk::testing::run_until;

std::vector<std::string> hostile_texts(const std::string& marker) {
  return {"[exec touch " + marker + "]",
          "$tcl_version and $::env(HOME)",
          "{unbalanced brace",
          "unbalanced} brace}",
          "\"quoted\" and \"half",
          "back\\slash \\n \\",
          "; set ::pwned 1 ;",
          "[set ::pwned 1]",
          "-text",
          "",
          "line one\nline two [incr ::pwned]"};
}

class command_layer : public ::testing::Test {
 protected:
  tk_loop ui;
  const interp& tcl = ui.tcl();
  std::string marker = "/tmp/handoff-tk-pwned-" + std::to_string(::getpid());

  void SetUp() override { std::filesystem::remove(marker); }
  void TearDown() override {
    EXPECT_FALSE(std::filesystem::exists(marker)) << "a text ran as Tcl code";
    std::filesystem::remove(marker);
    EXPECT_EQ(tcl.call({"info", "exists", "::pwned"}).as_int(), 0) << "a text ran as Tcl code";
  }
};

TEST_F(command_layer, text_with_tcl_syntax_shows_as_plain_text_and_runs_nothing) {
  tcl.call({"ttk::label", ".label"});
  tcl.call({"ttk::entry", ".entry"});
  tcl.call({"text", ".text"});
  tcl.call({"pack", ".label", ".entry", ".text"});
  for (const std::string& text : hostile_texts(marker)) {
    tcl.call({".label", "configure", "-text", text});
    EXPECT_EQ(tcl.call({".label", "cget", "-text"}).str(), text);

    tcl.call({".entry", "delete", 0, "end"});
    tcl.call({".entry", "insert", 0, text});  // as if typed
    EXPECT_EQ(tcl.call({".entry", "get"}).str(), text);

    tcl.call({".text", "delete", "1.0", "end"});
    tcl.call({".text", "insert", "end", text});
    EXPECT_EQ(tcl.call({".text", "get", "1.0", "end-1c"}).str(), text);

    tcl.call({"wm", "title", ".", text});
    EXPECT_EQ(tcl.call({"wm", "title", "."}).str(), text);
  }
  tcl.call({"update"});  // draw it all: redraws run nothing either
}

TEST_F(command_layer, a_cpp_command_receives_its_arguments_verbatim) {
  std::vector<std::string> received;
  const obj command = tcl.command([&](interp::arguments& args) {
    for (std::size_t i = 0; i < args.size(); ++i) received.push_back(args[i].str());
  });
  const std::vector<std::string> texts = hostile_texts(marker);
  std::vector<obj> script{command};
  for (const auto& text : texts) script.emplace_back(text);
  // A button whose -command is a list: its string form is a script whose
  // words are exactly the list's elements.
  tcl.call({"ttk::button", ".button", "-command", obj::list(script)});
  tcl.call({".button", "invoke"});
  EXPECT_EQ(received, texts);

  // A binding script with %-substitution, built the same way.
  received.clear();
  tcl.call({"bind", ".button", "<<Poke>>", obj::list({command, "%W", texts.front()})});
  tcl.call({"event", "generate", ".button", "<<Poke>>"});
  EXPECT_EQ(received, (std::vector<std::string>{".button", texts.front()}));
}

TEST_F(command_layer, a_command_returns_its_result_to_tcl) {
  tcl.command("::double_it", [](interp::arguments& args) { args.set_result(args[0].as_int() * 2); });
  EXPECT_EQ(tcl.call({"::double_it", 21}).as_int(), 42);
  EXPECT_EQ(tcl.call({"expr", "[::double_it 4] + 1"}).as_int(), 9);
}

TEST_F(command_layer, a_tcl_error_is_thrown_as_tcl_error_with_its_message) {
  try {
    tcl.call({"error", "the plot cannot be drawn"});
    FAIL() << "no exception";
  } catch (const tcl_error& e) {
    EXPECT_STREQ(e.what(), "the plot cannot be drawn");
    EXPECT_NE(e.error_info().find("the plot cannot be drawn"), std::string::npos);
  }
  EXPECT_THROW(tcl.call({"no_such_command", "[exec touch " + marker + "]"}), tcl_error);
  EXPECT_THROW(tcl.call({".no_such_widget", "configure"}), handoff::errors::error);
  EXPECT_THROW((void)tcl.call({"set", "x", "not a number"}).as_int(), tcl_error);
  EXPECT_EQ(tcl.call({"info", "exists", "::errorCode"}).as_int(), 1);  // the interpreter still works
}

TEST_F(command_layer, a_deleted_command_destroys_its_callback) {
  auto token = std::make_shared<int>(0);
  const obj command = tcl.command([token](interp::arguments&) { ++*token; });
  EXPECT_EQ(token.use_count(), 2);
  tcl.call({command});
  EXPECT_EQ(*token, 1);
  tcl.delete_command(command);
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_THROW(tcl.call({command}), tcl_error);
}

TEST(command_layer_lifetime, commands_die_with_the_interpreter) {
  auto token = std::make_shared<int>(0);
  {
    tk_loop ui;
    ui.tcl().command([token](interp::arguments&) {});
    ui.tcl().command("::named", [token](interp::arguments&) {});
    EXPECT_EQ(token.use_count(), 3);
  }
  EXPECT_EQ(token.use_count(), 1);
}

TEST_F(command_layer, an_exception_in_a_callback_shows_the_error_dialog_and_writes_stderr) {
  // The real tk_messageBox: a modal dialog. While it waits, a timer on the
  // loop finds it, reads its message and presses OK, as a user would.
  tcl.call({"ttk::button", ".save", "-command", tcl.command([] { throw std::runtime_error("disk full"); })});
  std::string shown;
  std::function<void()> find_dialog = [&] {
    if (tcl.call({"winfo", "exists", ".__tk__messagebox"}).as_int() == 0) {
      ui.post_after(5ms, find_dialog);
      return;
    }
    shown = tcl.call({".__tk__messagebox.msg", "cget", "-text"}).str();
    tcl.call({".__tk__messagebox.ok", "invoke"});
  };
  ui.post_after(5ms, find_dialog);

  ::testing::internal::CaptureStderr();
  tcl.call({".save", "invoke"});  // returns once the dialog is dismissed
  const std::string err = ::testing::internal::GetCapturedStderr();

  EXPECT_EQ(shown, "disk full");
  EXPECT_NE(err.find("handoff::tk: the command ::handoff::callback"), std::string::npos) << err;
  EXPECT_NE(err.find("threw: disk full"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(tcl.call({"winfo", "exists", ".__tk__messagebox"}).as_int(), 0);
}

TEST_F(command_layer, exceptions_while_a_dialog_is_open_go_to_stderr_without_a_second_dialog) {
  int dialogs = 0;
  const obj fails_again = tcl.command([] { throw std::logic_error("second failure"); });
  // A hooked dialog command: while "open", another callback throws.
  tcl.command("::tk_messageBox", [&](interp::arguments&) {
    ++dialogs;
    tcl.call({fails_again});
  });
  const obj fails = tcl.command([] { throw std::runtime_error("first failure"); });
  ::testing::internal::CaptureStderr();
  tcl.call({fails});
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(dialogs, 1);
  EXPECT_NE(err.find("threw: first failure\n"), std::string::npos) << err;
  EXPECT_NE(err.find("threw: second failure (an error dialog is already open)"), std::string::npos) << err;
}

TEST_F(command_layer, a_non_standard_exception_is_reported_too) {
  std::vector<std::string> dialog;
  tcl.command("::tk_messageBox", [&](interp::arguments& args) {
    for (std::size_t i = 0; i < args.size(); ++i) dialog.push_back(args[i].str());
  });
  ::testing::internal::CaptureStderr();
  tcl.call({tcl.command([] { throw 42; })});
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("threw: an exception that is not a std::exception"), std::string::npos) << err;
  EXPECT_NE(std::find(dialog.begin(), dialog.end(), "error"), dialog.end());  // -icon error
}

TEST_F(command_layer, wm_delete_window_runs_the_close_handler) {
  int closes = 0;
  ui.on_close([&] { ++closes; });  // keeps the window: the handler decides
  const Window frame = handoff::tk::testing::map_main_window(ui);
  ASSERT_TRUE(handoff::tk::testing::send_wm_delete_window(ui, frame));
  ASSERT_TRUE(run_until(ui, [&] { return closes == 1; }));
  EXPECT_TRUE(ui.has_main_window());
  EXPECT_FALSE(ui.closed());

  ui.on_close({});  // back to Tk's default: the window goes
  ASSERT_TRUE(handoff::tk::testing::send_wm_delete_window(ui, frame));
  ASSERT_TRUE(run_until(ui, [&] { return !ui.has_main_window(); }));
  EXPECT_EQ(closes, 1);
  EXPECT_TRUE(ui.closed());
}

TEST(command_layer_close, the_close_handler_stops_background_work_and_later_posts_are_dropped) {
  tk_loop ui;
  const interp& tcl = ui.tcl();
  tcl.call({"ttk::label", ".progress"});
  tcl.call({"pack", ".progress"});
  const Window frame = handoff::tk::testing::map_main_window(ui);

  std::atomic<int> updates{0};
  int ran_without_window = 0;
  int widget_errors = 0;
  ui.set_exception_handler([&](const std::exception_ptr&) { ++widget_errors; });
  std::promise<void> worker_done;
  std::jthread worker([&](const std::stop_token& stop) {
    for (int i = 0;; ++i) {
      // Every post touches a widget: one run after the window is gone would fail.
      const bool queued = ui.post([&, i] {
        if (!ui.has_main_window()) ++ran_without_window;
        tcl.call({".progress", "configure", "-text", i});
        updates.fetch_add(1, std::memory_order_relaxed);
      });
      if (!queued || stop.stop_requested()) break;
      // A progress reporter: the next update once the last one is shown.
      while (updates.load(std::memory_order_relaxed) <= i && !stop.stop_requested())
        std::this_thread::yield();
    }
    worker_done.set_value();
  });

  bool stopped_in_time = false;
  ui.on_close([&] {
    // The application's close: stop the work under a deadline, then the window.
    worker.request_stop();
    stopped_in_time = worker_done.get_future().wait_for(2s) == std::future_status::ready;
    ui.destroy_main_window();
  });
  ASSERT_TRUE(run_until(ui, [&] { return updates.load() > 100; }));
  ASSERT_TRUE(handoff::tk::testing::send_wm_delete_window(ui, frame));
  ui.run();  // returns when the close handler destroyed the window

  EXPECT_TRUE(stopped_in_time);
  EXPECT_FALSE(ui.has_main_window());
  EXPECT_TRUE(ui.closed());
  worker.join();
  EXPECT_FALSE(ui.post([] {}));  // posts after the window is gone are refused
  while (Tcl_DoOneEvent(TCL_ALL_EVENTS | TCL_DONT_WAIT) != 0) {
  }
  EXPECT_EQ(ran_without_window, 0);
  EXPECT_EQ(widget_errors, 0);
}

}  // namespace
