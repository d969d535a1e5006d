package io.coedge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./coedge} launcher, run by bash against fake JDKs (scripts that print a version) in a
 * copy of the repository root that already holds a built CLI, so nothing is built or started.
 */
class LauncherScriptTest {
    static final Path LAUNCHER = Path.of("..", "coedge");

    @TempDir
    Path tmp;
    Path root;

    record Result(int code, String out, String err) {
    }

    @BeforeEach
    void fakeRepository() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
        root = Files.createDirectories(tmp.resolve("repo"));
        Files.copy(LAUNCHER, root.resolve("coedge"), StandardCopyOption.COPY_ATTRIBUTES);
        Path target = Files.createDirectories(root.resolve("coedge-cli/target/lib"));
        Files.writeString(target.getParent().resolve("coedge-cli-9.9.jar"), "jar");
        Files.writeString(target.resolve("dep.jar"), "jar");
        Files.writeString(target.getParent().resolve(".coedge-build-stamp"), "");
    }

    /** A JDK folder whose java reports {@code version} and otherwise prints its arguments and folder. */
    Path fakeJdk(String name, String version) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve(name).resolve("bin"));
        String java = """
                #!/bin/bash
                if [[ "$1" == "-version" ]]; then
                  echo 'openjdk version "%s" 2025-01-01' >&2
                  exit 0
                fi
                echo "JDK=%s PWD=$PWD ARGS=$*"
                """.formatted(version, name);
        for (String tool : List.of("java", "javac")) {
            Path p = bin.resolve(tool);
            Files.writeString(p, java);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return bin.getParent();
    }

    Result launch(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("/bin/bash", root.resolve("coedge").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("COEDGE_JDK_DIRS", tmp.resolve("none").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("launcher finished").isTrue();
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void javaHomeWithANewEnoughJdkRunsTheCliInTheCallersFolder() throws Exception {
        Path jdk = fakeJdk("jdk25", "25.0.1");
        Result r = launch(Map.of("JAVA_HOME", jdk.toString()), "run", "--model", "my model.onnx");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("JDK=jdk25").contains("PWD=" + tmp)
                .contains("--enable-native-access=ALL-UNNAMED").contains("--add-modules jdk.incubator.vector")
                .contains("coedge-cli-9.9.jar:" + root + "/coedge-cli/target/lib/*")
                .contains("io.coedge.cli.Main run --model my model.onnx");
        assertThat(r.err()).doesNotContain("building");
    }

    @Test
    void tooOldJavaHomeFallsBackToTheNewestJdkInTheInstallFolders() throws Exception {
        Path old = fakeJdk("jdk17", "17.0.15");
        Path j22 = fakeJdk("jdk22", "22.0.2");
        Path j25 = fakeJdk("jdk25", "25");
        Path j8 = fakeJdk("jdk8", "1.8.0_392");
        Result r = launch(Map.of("JAVA_HOME", old.toString(),
                "COEDGE_JDK_DIRS", String.join(":", j8.toString(), j22.toString(), j25.toString())), "info");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("JDK=jdk25").contains("io.coedge.cli.Main info");
    }

    @Test
    void noJdk22AnywhereIsAClearErrorWithExitCodeTwo() throws Exception {
        Path old = fakeJdk("jdk17", "17.0.15");
        Path j8 = fakeJdk("jdk8", "1.8.0_392");
        Result r = launch(Map.of("JAVA_HOME", old.toString(), "COEDGE_JDK_DIRS", j8.toString()), "demo");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("coedge: error: no JDK 22 or newer found")
                .contains("JAVA_HOME=" + old + " is not a JDK 22+").contains("set JAVA_HOME");
        assertThat(r.out()).isEmpty();
    }
}
