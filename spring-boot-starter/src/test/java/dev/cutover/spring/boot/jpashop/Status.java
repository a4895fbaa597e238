package dev.cutover.spring.boot.jpashop;

/** A purchase's status, stored by name. */
public enum Status { OPEN, PAID, CANCELLED }
