package io.coedge.transport.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompilerThreadsTest {
    @Test
    void lowersEveryCompilerThreadOfThisJvmAndNoOtherThread() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "thread priorities are set through /proc: Linux only");
        Integer before = CompilerThreads.niceOf(Path.of("/proc/thread-self"));
        int changed = CompilerThreads.lower(19);

        assertThat(changed).isGreaterThanOrEqualTo(0);
        List<Integer> compilers = new ArrayList<>();
        for (Path task : CompilerThreads.tasks()) {
            String comm = Files.readString(task.resolve("comm")).trim();
            if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
                compilers.add(CompilerThreads.niceOf(task));
            }
        }
        assertThat(compilers).isNotEmpty().containsOnly(19);
        assertThat(CompilerThreads.niceOf(Path.of("/proc/thread-self"))).isEqualTo(before);
        assertThat(CompilerThreads.lower(19)).as("already lowered: nothing left to change").isZero();
    }

    @Test
    void zeroLeavesTheCompilersAlone() {
        assertThat(CompilerThreads.lower(0)).isZero();
    }

    @Test
    void niceValueComesFromThePropertyAndOutOfRangeValuesSayWhatIsAllowed() {
        String old = System.getProperty(CompilerThreads.NICE_PROP);
        try {
            System.clearProperty(CompilerThreads.NICE_PROP);
            assertThat(CompilerThreads.configuredNice()).isEqualTo(CompilerThreads.DEFAULT_NICE);
            System.setProperty(CompilerThreads.NICE_PROP, "0");
            assertThat(CompilerThreads.configuredNice()).isZero();
            System.setProperty(CompilerThreads.NICE_PROP, "20");
            assertThatThrownBy(CompilerThreads::configuredNice).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("from 0 to 19").hasMessageContaining("'20'");
            System.setProperty(CompilerThreads.NICE_PROP, "low");
            assertThatThrownBy(CompilerThreads::configuredNice).hasMessageContaining("'low'");
        } finally {
            if (old == null) {
                System.clearProperty(CompilerThreads.NICE_PROP);
            } else {
                System.setProperty(CompilerThreads.NICE_PROP, old);
            }
        }
    }

    @Test
    void workerConfigRejectsANiceValueOutOfRange() {
        Worker.Config c = new Worker.Config().name("w").endpoint("127.0.0.1:40100").compilerNice(25);
        assertThatThrownBy(c::validate).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 to 19");
    }
}
