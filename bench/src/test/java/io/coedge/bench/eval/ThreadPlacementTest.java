package io.coedge.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which threads of a device process leave the device's CPU quota, by the names the kernel keeps for them. */
class ThreadPlacementTest {
    @Test
    void aeronDriverAgentsGoToTheNetworkCgroupInEveryThreadingMode() {
        // comm is cut at 15 characters: "[sender,receiver,driver-conductor]" reads "[sender,receive"
        assertThat(ThreadPlacement.role("[sender,receive")).isEqualTo(ThreadPlacement.Role.NET);
        assertThat(ThreadPlacement.role("[sender,receive\n")).isEqualTo(ThreadPlacement.Role.NET);
        assertThat(ThreadPlacement.role("sender")).isEqualTo(ThreadPlacement.Role.NET);
        assertThat(ThreadPlacement.role("receiver")).isEqualTo(ThreadPlacement.Role.NET);
        assertThat(ThreadPlacement.role("driver-conducto")).isEqualTo(ThreadPlacement.Role.NET);
        assertThat(ThreadPlacement.role("coedge-driver-w")).isEqualTo(ThreadPlacement.Role.NET);
    }

    @Test
    void hotSpotCompilerThreadsGoToTheJitCgroup() {
        assertThat(ThreadPlacement.role("C1 CompilerThre")).isEqualTo(ThreadPlacement.Role.JIT);
        assertThat(ThreadPlacement.role("C2 CompilerThre\n")).isEqualTo(ThreadPlacement.Role.JIT);
    }

    @Test
    void computeControlAndJvmThreadsStayInTheDevicesQuota() {
        for (String comm : new String[] {"java", "coedge-compute-", "aeron-client-co", "VM Thread", "GC Thread#0",
                "Common-Cleaner", "JavaCPP Dealloc", "receiver-pool", "C2-helper"}) {
            assertThat(ThreadPlacement.role(comm)).as(comm).isNull();
        }
    }
}
