package dev.cutover.testsupport;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A server JDBC URL split into the parts needed to point it at another database or port. */
record ServerUrl(String scheme, String host, int port, String database, String params) {
    private static final Pattern URL = Pattern.compile("^(jdbc:[a-z]+://)([^:/?]+)(?::(\\d+))?/([^?]*)(\\?.*)?$");

    static ServerUrl parse(String url, int defaultPort) {
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException("Cannot parse JDBC URL '" + url
                    + "': expected jdbc:<driver>://host[:port]/[database][?params]");
        }
        int port = m.group(3) == null ? defaultPort : Integer.parseInt(m.group(3));
        return new ServerUrl(m.group(1), m.group(2), port, m.group(4), m.group(5) == null ? "" : m.group(5));
    }

    ServerUrl withHostPort(String newHost, int newPort) {
        return new ServerUrl(scheme, newHost, newPort, database, params);
    }

    String forDatabase(String name) {
        return scheme + host + ":" + port + "/" + name + params;
    }

    String admin() {
        return forDatabase(database);
    }
}
