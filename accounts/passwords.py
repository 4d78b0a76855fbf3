"""Password rules (ASVS 6.2): at least 12 characters, not a common password, not too like
the person's own details, not only digits — and nothing else: no required character
classes and no forced periodic changes, which push people to predictable passwords.

Django's own validators with messages written here, Chinese first with English in the
catalogue (Django's zh-hans catalogue leaves the minimum-length message in English).
"""

from django.contrib.auth import password_validation
from django.utils.translation import gettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return gettext("密码太短：至少需要 %(min_length)d 个字符。") % {
            "min_length": self.min_length
        }

    def get_help_text(self):
        return gettext("密码至少需要 %(min_length)d 个字符，可以是一句话。") % {
            "min_length": self.min_length
        }


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return gettext("密码与%(verbose_name)s过于相似。")

    def get_help_text(self):
        return gettext("密码不能与您的用户名、姓名或邮箱过于相似。")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self):
        return gettext("这个密码太常见，很容易被猜到。")

    def get_help_text(self):
        return gettext("密码不能是常用密码。")


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self):
        return gettext("密码不能全是数字。")

    def get_help_text(self):
        return gettext("密码不能全是数字。")
