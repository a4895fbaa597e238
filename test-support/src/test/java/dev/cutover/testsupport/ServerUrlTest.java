package dev.cutover.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ServerUrlTest {

    @Test
    void parse_keepsParametersWhenPointedAtAnotherDatabaseAndPort() {
        ServerUrl url = ServerUrl.parse(TestDatabases.DEFAULT_MARIADB_URL, 3306);
        assertEquals("127.0.0.1", url.host());
        assertEquals(3306, url.port());
        assertEquals("jdbc:mariadb://127.0.0.1:4000/shop?user=root&password=",
                url.withHostPort("127.0.0.1", 4000).forDatabase("shop"));
    }

    @Test
    void parse_usesTheDefaultPortWhenNoneIsGiven() {
        assertEquals(5432, ServerUrl.parse("jdbc:postgresql://db/postgres", 5432).port());
    }

    @Test
    void parse_rejectsUrlsItCannotRewrite() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerUrl.parse("jdbc:h2:mem:x", 0));
        assertEquals("Cannot parse JDBC URL 'jdbc:h2:mem:x': expected jdbc:<driver>://host[:port]/[database][?params]",
                e.getMessage());
    }
}
