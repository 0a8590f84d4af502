"""API shapes for areas, units and categories (read-only)."""

from rest_framework import serializers

from .models import Area, Category, Unit


class AreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "code", "level", "parent", "path"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "name_en"]
        read_only_fields = fields


class UnitSerializer(serializers.ModelSerializer):
    covered_areas = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "kind", "area", "covered_areas", "categories", "phone"]
        read_only_fields = fields
