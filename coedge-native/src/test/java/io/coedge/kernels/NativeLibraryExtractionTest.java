package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy of the library extracted from the jar does not outlive the JVM, however the JVM ends. */
class NativeLibraryExtractionTest {

    /** Loads the library, says whether it could, then waits to be killed. */
    public static final class LoadAndWait {
        public static void main(String[] args) throws InterruptedException {
            System.out.println(NativeLibrary.available() ? "loaded" : "not loaded: " + NativeLibrary.problem());
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(2));
        }
    }

    @Test
    void aJvmKilledWithSigkillLeavesNoCopyInTheTemporaryDirectory(@TempDir Path tmp) throws Exception {
        assumeTrue(NativeLibrary.available(), "the C kernel library is not in this build: " + NativeLibrary.problem());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), LoadAndWait.class.getName()))
                .redirectErrorStream(true).start();
        try {
            String first;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                first = out.readLine();
                assertThat(first).as("the child's first line").isEqualTo("loaded");
                // while it runs, with the library open: its copy is already gone
                assertThat(libraryCopies(tmp)).as("copies while the child runs").isEmpty();
                child.destroyForcibly(); // SIGKILL: no shutdown hooks, no deleteOnExit
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(libraryCopies(tmp)).as("copies after SIGKILL").isEmpty();
        } finally {
            child.destroyForcibly();
        }
    }

    private static List<Path> libraryCopies(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("libcoedge")).toList();
        }
    }
}
