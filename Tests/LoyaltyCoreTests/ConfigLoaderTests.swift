import TestScratch
import Testing

@testable import LoyaltyCore

/// The sentence `ConfigLoader.parse` stops with for `text`.
private func configError(_ text: String) -> String? {
  do {
    _ = try ConfigLoader.parse(text, source: "cfg.toml")
    return nil
  } catch {
    #expect(error.exitCode == 2)
    return error.description
  }
}

@Suite struct ConfigLoaderTests {
  @Test func theSampleConfigurationLoads() throws {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    let config = try ConfigLoader.load(path: parts.joined(separator: "/") + "/SampleData/pipeline.toml")
    #expect(config.identity.linkKeys == ["phone_hash", "email_hash"])
  }

  /// A wrong value names the file, the line that sets it, the table and the key.
  @Test func errorsNameTheLineOfTheKey() {
    #expect(
      configError("# levels\n[levels]\ncount = 5\n  policy = \"half\"\n")
        == "cfg.toml line 4: [levels] policy must be one of full, one_step (got 'half').")
    #expect(
      configError("[input]\nminor_digits = 2\n\n[input.columns]\norder_id = \"id\"\nchanel = \"c\"\n")
        == "cfg.toml line 6: [input.columns] has an unknown key 'chanel'; see SampleData/pipeline.toml for the keys.")
    #expect(
      configError("[input]\nbusiness_time_zone = \"CST\"\n")
        == "cfg.toml line 2: [input] business_time_zone must be a fixed offset such as +08:00 (got 'CST').")
    #expect(configError("input = 5\n") == "cfg.toml line 1: input must be a table.")
    // The second [[rfm.segments]] table, by its own lines.
    let segments = """
      [rfm]
      bins = 5
      [[rfm.segments]]
      name = "a"
      r = [4, 5]
      [[rfm.segments]]
      name = "b"
      r = [5, 4]
      f = "x"
      """
    #expect(configError(segments) == "cfg.toml line 9: [rfm.segments[2]] f must be an array of whole numbers.")
    #expect(
      configError(segments.replacing("f = \"x\"", with: ""))?.hasPrefix("cfg.toml line 6: [[rfm.segments]] 'b'") == true
    )
    #expect(
      configError("[levels]\nthresholds = [500, 100]\n")?.hasPrefix("cfg.toml line 2: [levels] thresholds needs")
        == true)
  }

  /// Breakpoints and shares out of range stop the run with a sentence, where an amount
  /// too large for minor units (or not a number) used to stop the program.
  @Test func rfmBreakpointsAndSharesAreChecked() {
    #expect(
      configError("[rfm]\nfixed_monetary = [1e308]\n")
        == "cfg.toml line 2: [rfm] fixed_monetary needs amounts from 0 to 46116860184273879.03 (got 1e+308).")
    #expect(configError("[rfm]\nfixed_monetary = [nan]\n")?.hasSuffix("(got nan).") == true)
    #expect(configError("[rfm]\nfixed_monetary = [200.0, -5.0]\n")?.hasSuffix("(got -5.0).") == true)
    #expect(
      configError("[rfm]\nfixed_frequency = [-3, 2, 3, 5]\n")
        == "cfg.toml line 2: [rfm] fixed_frequency needs whole numbers of at least 0 (got -3).")
    #expect(
      configError("[rfm]\n\nfixed_recency_days = [-30, 90]\n")?.hasPrefix("cfg.toml line 3: [rfm] fixed_recency_days")
        == true)
    #expect(
      configError("[rfm]\npower_tag_shares = [-1.0, 2.0, 3.0, 4.0]\n")
        == "cfg.toml line 2: [rfm] power_tag_shares needs 4 ascending shares from 0 to 1 (extremely_high, high, medium, general)."
    )
    // The edges are allowed: the largest amount a run holds, no extremely high tags.
    #expect(configError("[rfm]\nmethod = \"fixed\"\nfixed_monetary = [1.0, 2.0, 3.0, 46116860184273879.03]\n") == nil)
    #expect(configError("[rfm]\npower_tag_shares = [0.0, 0.0, 0.5, 1.0]\n") == nil)
  }

  /// CRLF line ends count lines as LF ones do.
  @Test func crlfConfigLinesAreCounted() {
    #expect(
      configError("[levels]\r\ncount = 5\r\npolicy = \"half\"\r\n")
        == "cfg.toml line 3: [levels] policy must be one of full, one_step (got 'half').")
  }

  /// A key given through a dotted name is not found on its line: the file alone is named.
  @Test func aKeyNotFoundOnALineNamesTheFile() {
    #expect(
      configError("levels.policy = \"half\"\n")
        == "cfg.toml: [levels] policy must be one of full, one_step (got 'half').")
  }

  /// Control characters TOML allows nowhere stop the load with a sentence naming the
  /// line. Found by the fuzzer (scripts/fuzz): one in a table header stopped the program
  /// on an assertion of TOMLKit's parser, and a NUL would have ended the text there.
  @Test func controlCharactersStopTheLoadWithTheirLine() {
    #expect(
      configError("[levels]\ncount = 5\n[\u{01}points]\n")
        == "cfg.toml line 3: not valid TOML (the control character U+0001; TOML allows none but tab and line ends).")
    #expect(
      configError("[levels]\ncount = 5\u{0}\npolicy = \"half\"\n")?.hasPrefix(
        "cfg.toml line 2: not valid TOML (the control character U+0000;") == true)
    #expect(
      configError("# x\u{7F}\n")?.hasPrefix("cfg.toml line 1: not valid TOML (the control character U+007F;") == true)
    // A carriage return ends a line only before a line feed.
    #expect(
      configError("[levels]\rcount = 5\n")?.hasPrefix("cfg.toml line 1: not valid TOML (the control character U+000D;")
        == true)
    #expect(
      configError("[levels]\r\ncount = 5\r")?.hasPrefix(
        "cfg.toml line 2: not valid TOML (the control character U+000D;") == true)
    #expect(configError("[levels]\r\n\tcount = 5\r\n") == nil)
  }

  /// A table header whose name starts with neither a bare key character nor a quote
  /// stops the load with a sentence: TOMLKit's parser stopped the program on an
  /// assertion for each of these (found by scripts/fuzz).
  @Test func tableHeadersWithoutANameStopTheLoad() {
    let named = "a table header's name starts with"
    #expect(
      configError("[levels]\ncount = 5\n\n  [#points]\n")
        == "cfg.toml line 4: not valid TOML (\(named) '#points'; a name is letters, digits, _ and - or a quoted string)."
    )
    for header in ["[=]", "[.rfm]", "[,]", "[{]", "[ é]", "[[=]]", "[[.rfm.segments]]", "[\u{FFFD}]"] {
      #expect(
        configError("# x\n\(header)\n")?.hasPrefix("cfg.toml line 2: not valid TOML (\(named) '") == true, "\(header)")
    }
    for header in ["[", "[[", "[  ", "[\t\r"] {
      #expect(
        configError("[levels]\n\(header)\n")
          == "cfg.toml line 2: not valid TOML (a table header ends before its name).",
        "\(header)")
    }
    // Quoted names, blanks before the name and empty headers go to the parser.
    #expect(configError("[ levels ]\ncount = 5\n") == nil)
    #expect(configError("[\"levels\"]\ncount = 5\n") == nil)
    #expect(configError("['levels']\ncount = 5\n") == nil)
    #expect(configError("[]\n")?.hasPrefix("cfg.toml line 1: not valid TOML (Error while parsing table header") == true)
    // A line inside a multi-line string is no header.
    #expect(!(configError("[report]\nout_dir = \"\"\"\n[=]\n\"\"\"\n") ?? "").contains("table header"))
    #expect(!(configError("[report]\nout_dir = '''\n[=]\n'''\n") ?? "").contains("table header"))
    #expect(!(configError("[report]\nout_dir = \"\"\"# not a comment\n[=]\n\"\"\"\n") ?? "").contains("table header"))
    // Triple quotes in a comment or a one-line string open nothing (the fuzzer's second
    // finding: the header after them went unchecked and stopped the program).
    for line in [
      "# one_step (dr''''' at most one)", "out_dir = \"a'''b\"", "out_dir = 'a\"\"\"b'", "out_dir = \"\\\"\"\"\"",
    ] {
      #expect(
        configError("[report]\n\(line)\n[=]\n")?.hasPrefix("cfg.toml line 3: not valid TOML (a table header's") == true,
        "\(line)")
    }
  }

  /// A configuration that is not UTF-8, or not a file, names what is wrong with it.
  @Test func unreadableAndNonUTF8ConfigurationsSaySo() {
    func loadError(_ path: String) -> String? {
      do {
        _ = try ConfigLoader.load(path: path)
        return nil
      } catch {
        return error.description
      }
    }
    let latin1 = temporaryFile(bytes: Array("[levels]\n# caf".utf8) + [0xE9, 0x0A], name: "latin1.toml")
    #expect(loadError(latin1) == "\(latin1): the configuration file is not UTF-8 text, which TOML requires.")
    // A folder opens but does not read: it was taken for an empty file (the defaults).
    let folder = TestScratch.folder("config-folder")
    #expect(loadError(folder) == "\(folder): the configuration file cannot be read.")
  }
}
