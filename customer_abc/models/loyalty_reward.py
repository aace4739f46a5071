from odoo import models

MANAGER_GROUP = "sales_team.group_sale_manager"


class LoyaltyReward(models.Model):
    _inherit = "loyalty.reward"

    def _create_missing_discount_line_products(self):
        """The discount product of a reward created by a sales manager in
        the coupon wizard's one-click program (context
        ``customer_abc_program_wizard``).

        Odoo 18 lets sales managers create products; Odoo 19 moved that to
        the "Products: Create" privilege, which a sales manager may lack.
        The wizard's program is the manager's to create (loyalty rights),
        and its discount product is an internal service line named after
        the reward, so it is created with sudo here and only here; the
        manager gets no right on the catalogue.
        """
        if self.env.context.get("customer_abc_program_wizard") and self.env.user.has_group(MANAGER_GROUP):
            # sudo: the reward's own discount product, see above
            return super(LoyaltyReward, self.sudo())._create_missing_discount_line_products()
        return super()._create_missing_discount_line_products()
