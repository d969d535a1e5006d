package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs the C differential test program ({@code src/test/c/coedge_kernels_test.c}) that the Maven
 * build compiled with CMake: natively, and the aarch64 cross build under {@code qemu-aarch64}, so the
 * NEON variants are executed here and not just compiled.
 */
class CKernelProgramTest {
    private static final Path BUILD = Path.of("target", "native");
    private static final Pattern SUMMARY = Pattern.compile("coedge_kernels_test: (\\d+) passed, (\\d+) failed");

    @Test
    @Tag("native-toolchain")
    void hostKernelVariantsEqualTheirNaiveTwins() throws Exception {
        Path program = BUILD.resolve("host").resolve("coedge_kernels_test");
        Assumptions.assumeTrue(Files.isExecutable(program),
                "no " + program + ": cmake or a C compiler was missing at build time (apt-get install cmake gcc)");
        int passed = run(List.of(program.toString()));
        assertThat(passed).isGreaterThan(100);
    }

    @Test
    @Tag("qemu")
    void aarch64NeonKernelsPassUnderQemu() throws Exception {
        Path program = BUILD.resolve("linux-aarch64").resolve("coedge_kernels_test");
        Assumptions.assumeTrue(Files.isExecutable(program),
                "no " + program + ": the aarch64 cross compiler was missing at build time (apt-get install gcc-aarch64-linux-gnu)");
        Assumptions.assumeTrue(onPath("qemu-aarch64"), "qemu-aarch64 not found (apt-get install qemu-user)");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/usr/aarch64-linux-gnu")),
                "/usr/aarch64-linux-gnu (the aarch64 C library for qemu -L) is missing (apt-get install libc6-arm64-cross)");
        int passed = run(List.of("qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", program.toString()));
        assertThat(passed).isGreaterThan(100);
    }

    private static boolean onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, exe))) {
                return true;
            }
        }
        return false;
    }

    /** Runs the program, checks it reports no failure and exits 0; returns the number of passed cases. */
    private static int run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("program finished").isTrue();
        System.out.print(out);
        Matcher m = SUMMARY.matcher(out);
        assertThat(m.find()).as("summary line in:%n%s", out).isTrue();
        assertThat(Integer.parseInt(m.group(2))).as("failed cases in:%n%s", out).isZero();
        assertThat(p.exitValue()).isZero();
        return Integer.parseInt(m.group(1));
    }
}
