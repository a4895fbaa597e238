package dev.cutover.spring.boot.jpa;

/** An order's status, stored by name. */
public enum OrderStatus { OPEN, PAID, SHIPPED, CANCELLED }
