# A hand-written suite for the official `stock` project (flat layout), named as the authors name test files.
import unittest

from stock import Stock
from validate import PositiveInteger, String


class TestStock(unittest.TestCase):
    def test_cost(self):
        self.assertEqual(Stock("ACME", 10, 2.5).cost, 25.0)

    def test_sell(self):
        s = Stock("ACME", 10, 2.5)
        s.sell(4)
        self.assertEqual(s.shares, 6)

    def test_type_is_checked(self):
        with self.assertRaises(TypeError):
            Stock(1, 10, 2.5)

    def test_validators(self):
        self.assertEqual(String.check("x"), "x")
        with self.assertRaises(ValueError):
            PositiveInteger.check(-1)

    def test_a_wrong_expectation(self):
        self.assertEqual(Stock("ACME", 1, 1.0).cost, 2.0)  # fails on purpose: a failing test must be counted
