package io.coedge.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlanTest {
    private static final List<String> FOUR = Plan.deviceNames(4);

    @Test
    void equalSplitGivesTheRemainderToTheFirstDevices() {
        Plan p = Plan.equal(FOUR, 10, Sync.every());
        assertThat(p.rows()).containsExactly(3, 3, 2, 2);
        assertThat(p.height()).isEqualTo(10);
        assertThat(p.tailDevice()).isEqualTo("dev0");
    }

    @Test
    void deeperMapsAreSplitInTheSameProportion() {
        Plan p = Plan.explicit(FOUR, new int[] {112, 0, 56, 56}, Sync.every());
        assertThat(p.boundaries(224)).containsExactly(0, 112, 112, 168, 224);
        assertThat(p.boundaries(7)).containsExactly(0, 3, 3, 5, 7);
        assertThat(p.owned(1, 7).isEmpty()).isTrue();
        assertThat(p.owned(0, 1)).isEqualTo(RowRange.EMPTY);
        assertThat(p.owned(3, 1)).isEqualTo(new RowRange(0, 1));
    }

    @Test
    void textFormRoundTrips() {
        Plan p = new Plan(7, List.of("pi-a", "jetson.1", "desk_top"), new int[] {0, 1, 222}, Sync.fused(3), "desk_top");
        String text = p.toText();
        assertThat(text).isEqualTo("coedge-plan/1 version=7 sync=fused:3 tail=desk_top rows=pi-a:0,jetson.1:1,desk_top:222");
        assertThat(Plan.parse(text)).isEqualTo(p);
        assertThat(p.toJson()).contains("\"sync\":\"fused:3\"").contains("{\"name\":\"pi-a\",\"rows\":0}");
    }

    @Test
    void randomSplitsAreSeededAndCoverTheMap() {
        Plan a = Plan.random(FOUR, 13, 42, Sync.every());
        assertThat(a).isEqualTo(Plan.random(FOUR, 13, 42, Sync.every()));
        assertThat(a.height()).isEqualTo(13);
        boolean sawZero = false;
        for (long seed = 0; seed < 50; seed++) {
            for (int r : Plan.random(FOUR, 5, seed, Sync.every()).rows()) {
                sawZero |= r == 0;
            }
        }
        assertThat(sawZero).isTrue();
    }

    @Test
    void cliSpecsAreUnderstood() {
        assertThat(Plan.fromSpec("equal", FOUR, 8, Sync.every()).rows()).containsExactly(2, 2, 2, 2);
        assertThat(Plan.fromSpec("1,2,3,2", FOUR, 8, Sync.every()).rows()).containsExactly(1, 2, 3, 2);
        assertThat(Plan.fromSpec("random:5", FOUR, 8, Sync.every())).isEqualTo(Plan.random(FOUR, 8, 5, Sync.every()));
        assertThat(Sync.parse("fused:2")).isEqualTo(Sync.fused(2));
        assertThat(Sync.parse("every")).isEqualTo(Sync.every());
    }

    @Test
    void invalidPlansAreRefusedWithAMessageThatSaysWhatToDo() {
        assertThatThrownBy(() -> Plan.fromSpec("1,2,3", FOUR, 8, Sync.every()))
                .hasMessageContaining("3 row counts for 4 devices");
        assertThatThrownBy(() -> Plan.fromSpec("1,2,3,3", FOUR, 8, Sync.every()))
                .hasMessageContaining("sum to 9").hasMessageContaining("8 rows");
        assertThatThrownBy(() -> Plan.explicit(FOUR, new int[] {1, -2, 3, 6}, Sync.every()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative row count");
        assertThatThrownBy(() -> Plan.explicit(FOUR, new int[] {0, 0, 0, 0}, Sync.every()))
                .hasMessageContaining("no rows");
        assertThatThrownBy(() -> new Plan(0, FOUR, new int[] {1, 1, 1, 1}, Sync.every(), "dev9"))
                .hasMessageContaining("tail device 'dev9' is not one of");
        assertThatThrownBy(() -> Plan.explicit(List.of("a", "a"), new int[] {1, 1}, Sync.every()))
                .hasMessageContaining("appears twice");
        assertThatThrownBy(() -> Plan.fromSpec("1,x,3,4", FOUR, 8, Sync.every())).hasMessageContaining("'x' is not a row count");
        assertThatThrownBy(() -> Plan.equal(Plan.deviceNames(2000), 224, Sync.every())).hasMessageContaining("at most 1024");
        assertThatThrownBy(() -> Plan.parse("")).hasMessageContaining("not a CoEdge plan");
        assertThatThrownBy(() -> Sync.parse("fused:0")).hasMessageContaining("K >= 1");
        assertThatThrownBy(() -> Sync.parse("sometimes")).hasMessageContaining("'every' or 'fused:K'");
        assertThatThrownBy(() -> Plan.parse("coedge-plan/2 version=1")).hasMessageContaining("format 2 is not supported");
        assertThatThrownBy(() -> Plan.parse("coedge-plan/1 version=1 sync=every tail=a rows=a:1,b:x"))
                .hasMessageContaining("'b:x' has no row count");
        assertThatThrownBy(() -> Plan.parse("coedge-plan/1 version=1 sync=every tail=z rows=a:1,b:2"))
                .hasMessageContaining("tail device 'z'");
    }
}
