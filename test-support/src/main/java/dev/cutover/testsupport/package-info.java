/**
 * Test support shared by every Cutover module: {@link dev.cutover.testsupport.TestDatabases} makes a
 * database per test class on PostgreSQL, MariaDB and H2, and {@link dev.cutover.testsupport.TcpForwarder}
 * cuts, stalls and slows the connections between code under test and a real server.
 */
package dev.cutover.testsupport;
