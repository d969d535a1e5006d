package io.coedge.transport.bench;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class EndToEndBenchTest {
    @Test
    void idleOthersRefusesScopesAndClassesItDoesNotKnowBeforeTouchingAThread() {
        List<Long> self = List.of(ProcessHandle.current().pid());
        assertThatThrownBy(() -> EndToEndBench.idleOthers(self, "everything"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--idle-others everything: use all, workers or transport, optionally :batch");
        assertThatThrownBy(() -> EndToEndBench.idleOthers(self, "workers:fifo"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("optionally :batch");
    }
}
