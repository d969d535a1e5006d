package io.coedge.transport.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.transport.TransportContext;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigParsingTest {
    private static final Path FILE = Path.of("/etc/coedge/cluster.conf");

    @Test
    void clusterFileListsWorkersInOrderWithCoordinatorAndRelativeKeyFile() {
        ClusterConfig c = ClusterConfig.parse(List.of(
                "# a comment", "", "coordinator = 192.168.1.10:40100  # reply here",
                "cluster-key-file = cluster.key", "worker pi4-a = 192.168.1.21:40100", "worker jetson = 192.168.1.22:40101"), FILE);
        assertThat(c.coordinatorEndpoint()).isEqualTo("192.168.1.10:40100");
        assertThat(c.clusterKeyFile()).isEqualTo(Path.of("/etc/coedge/cluster.key"));
        assertThat(c.workers()).extracting(ClusterConfig.Member::name).containsExactly("pi4-a", "jetson");
        assertThat(c.workers().get(1).endpoint()).isEqualTo("192.168.1.22:40101");
    }

    @Test
    void badClusterFileLinesNameTheFileAndLine() {
        assertThatThrownBy(() -> ClusterConfig.parse(List.of("worker a = 10.0.0.1:1", "nonsense"), FILE))
                .hasMessageContaining("line 2").hasMessageContaining("key = value");
        assertThatThrownBy(() -> ClusterConfig.parse(List.of("worker a = 10.0.0.1"), FILE))
                .hasMessageContaining("line 1").hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ClusterConfig.parse(List.of("worker a = 10.0.0.1:1", "worker a = 10.0.0.2:1"), FILE))
                .hasMessageContaining("listed twice");
        assertThatThrownBy(() -> ClusterConfig.parse(List.of("colour = blue"), FILE)).hasMessageContaining("unknown key");
        assertThatThrownBy(() -> ClusterConfig.parse(List.of("# empty"), FILE)).hasMessageContaining("lists no workers");
        assertThatThrownBy(() -> ClusterConfig.parse(List.of("worker a = 10.0.0.1:70000"), FILE)).hasMessageContaining("port");
    }

    @Test
    void workerOptionsParseAndMistakesSayWhatToWrite() {
        Worker.Config c = WorkerMain.parse(new String[] {"--name", "pi", "--endpoint", "10.0.0.5:40100", "--threads", "4"});
        assertThat(c.name).isEqualTo("pi");
        assertThat(c.threads).isEqualTo(4);
        assertThatThrownBy(() -> WorkerMain.parse(new String[] {"--name", "pi"})).hasMessageContaining("--endpoint")
                .hasMessageContaining("usage");
        assertThatThrownBy(() -> WorkerMain.parse(new String[] {"--name", "pi", "--endpoint", "x:1", "--threads", "many"}))
                .hasMessageContaining("--threads");
        assertThatThrownBy(() -> WorkerMain.parse(new String[] {"--bogus", "1"})).hasMessageContaining("unknown option");
        assertThat(WorkerMain.run(new String[] {"--name", "bad name!", "--endpoint", "1.2.3.4:5"})).isEqualTo(2);
        assertThatThrownBy(() -> WorkerMain.parse(new String[] {"--name", "pi", "--endpoint", "127.0.0.1:0"}).validate())
                .hasMessageContaining("needs a fixed port");
    }

    @Test
    void transportContextRefusesImpossibleSettings() {
        assertThatThrownBy(() -> new TransportContext().termLengthBytes(3_000_000).conclude()).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new TransportContext().udpMtuBytes(1500).conclude()).hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> new TransportContext().threadingMode("FAST").conclude()).hasMessageContaining("SHARED");
        assertThatThrownBy(() -> new TransportContext().name("a/b").conclude()).hasMessageContaining("letters");
        assertThatThrownBy(() -> new TransportContext().loopbackMtuBytes(70000).conclude()).hasMessageContaining("loopback");
        assertThat(new TransportContext().conclude().isConcluded()).isTrue();
    }

    @Test
    void loopbackEndpointsGetTheLoopbackMtuAndOthersTheLanMtu() {
        TransportContext c = new TransportContext().udpMtuBytes(1408).loopbackMtuBytes(32768);
        assertThat(c.udpMtuBytes("127.0.0.1:40100")).isEqualTo(32768);
        assertThat(c.udpMtuBytes("localhost:40100")).isEqualTo(32768);
        assertThat(c.udpMtuBytes("[::1]:40100")).isEqualTo(32768);
        assertThat(c.udpMtuBytes("10.77.0.2:40100")).isEqualTo(1408);
        assertThat(c.udpMtuBytes("pi4-a.lan:40100")).isEqualTo(1408);
    }
}
