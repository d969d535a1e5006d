package io.coedge.transport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ThreadCpuTest {
    @Test
    void preemptionsAreTheNonvoluntarySwitchesOfAStatusFile() {
        String status = """
                Name:\tcoedge-compute
                State:\tR (running)
                voluntary_ctxt_switches:\t1200
                nonvoluntary_ctxt_switches:\t345
                """;
        assertThat(ThreadCpu.preemptions(status)).isEqualTo(345);
        assertThat(ThreadCpu.preemptions("Name:\tx\nnonvoluntary_ctxt_switches:\t7")).isEqualTo(7);
        assertThat(ThreadCpu.preemptions("Name:\tx\n")).isZero();
    }
}
